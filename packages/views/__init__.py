"""Package pages: record a referral, the worklist, the lists, a package and its actions."""

from .changes import package_change, package_edit
from .lists import drafts, package_list, provider_list, worklist
from .package import (
    package_ask_review,
    package_cancel,
    package_detail,
    package_end,
    package_hand_back,
    package_live,
    package_submit,
)
from .referral import check_answers, package_create, person_check, zone_lookup
from .reviews import package_review, reviews_due

__all__ = [
    "check_answers",
    "drafts",
    "package_ask_review",
    "package_cancel",
    "package_change",
    "package_create",
    "package_detail",
    "package_edit",
    "package_end",
    "package_hand_back",
    "package_list",
    "package_live",
    "package_review",
    "package_submit",
    "person_check",
    "provider_list",
    "reviews_due",
    "worklist",
    "zone_lookup",
]
