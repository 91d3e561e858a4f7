"""Everything that changes a person or a package: one transaction each, taking the acting user.

- referrals: a referral recorded as a draft, for the person with its NHS number;
- lifecycle: submit, place, hand back, end, cancel, escalate, and the timeline;
- changes: a draft or an open package edited, a placed one changed from a date;
- schedules: the versions of a package's visits, and which is in force;
- reviews: a placed package reviewed, a review asked for, brokers told when one is due;
- access: the access log of views of a person's record;
- in_progress: a referral's answers kept part way through a call, or to be checked.
"""

from .access import log_people_access, log_person_access
from .changes import change_package, edit_package, require_editable
from .in_progress import drop_referral, hold_referral
from .lifecycle import (
    cancel_package,
    end_notices,
    end_package,
    hand_back_package,
    mark_placed,
    record_event,
    set_escalated,
    submit_package,
)
from .referrals import OUTSIDE_YOUR_ZONES, PersonDiffers, check_referral, create_package
from .reviews import ask_for_review, record_review, tell_reviews_due
from .schedules import bring_changes_into_force

__all__ = [
    "OUTSIDE_YOUR_ZONES",
    "PersonDiffers",
    "ask_for_review",
    "bring_changes_into_force",
    "cancel_package",
    "change_package",
    "check_referral",
    "create_package",
    "drop_referral",
    "edit_package",
    "end_notices",
    "end_package",
    "hand_back_package",
    "hold_referral",
    "log_people_access",
    "log_person_access",
    "mark_placed",
    "record_event",
    "record_review",
    "require_editable",
    "set_escalated",
    "submit_package",
    "tell_reviews_due",
]
