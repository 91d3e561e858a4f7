"""Everything that changes a person or a package: one transaction each, taking the acting user.

- referrals: a referral recorded as a draft, for the person with its NHS number;
- lifecycle: submit, place, hand back, end, cancel, escalate, and the timeline;
- schedules: the versions of a package's visits;
- access: the access log of views of a person's record.
"""

from .access import log_people_access, log_person_access
from .lifecycle import (
    cancel_package,
    end_package,
    hand_back_package,
    mark_placed,
    record_event,
    set_escalated,
    submit_package,
)
from .referrals import OUTSIDE_YOUR_ZONES, PersonDiffers, create_package

__all__ = [
    "OUTSIDE_YOUR_ZONES",
    "PersonDiffers",
    "cancel_package",
    "create_package",
    "end_package",
    "hand_back_package",
    "log_people_access",
    "log_person_access",
    "mark_placed",
    "record_event",
    "set_escalated",
    "submit_package",
]
