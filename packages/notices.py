"""What packages tell whom: providers of changes to their care, brokers of hand-backs and
reviews falling due.

Each goes through notifications.services.notify in the caller's transaction, once per
event. None carries personal data (nor a broker's free text, which might): the package
number, hours and dates, and a link to sign in.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.dateformat import format as date_format

from core.formats import hours_text
from notifications import recipients
from notifications.models import NotificationKind
from notifications.services import notify


def _day(day) -> str:
    return date_format(day, settings.DATE_FORMAT)


def _package_link(package, anchor=""):
    return reverse("packages:detail", args=[package.pk]) + anchor


def package_changed(package, version, hours_before) -> None:
    """Tell the provider caring for the package (and the one taking over from it) that its
    visits change from a date, and by how much."""
    message = (
        f"Package {package.pk} changes from {_day(version.effective_from)}: "
        f"{hours_text(version.weekly_hours)} hours a week (was {hours_text(hours_before)}). "
        "See the new visits."
    )
    for provider_id in {package.provider_id, package.next_provider_id} - {None}:
        notify(
            kind=NotificationKind.PACKAGE_CHANGED,
            users=recipients.provider_users(provider_id),
            message=message,
            link=_package_link(package, "#versions"),
            event=f"package:{package.pk}:version:{version.number}",
            package_id=package.pk,
        )


def handed_back(package, hand_back) -> None:
    """Tell the brokers who may see the package that its provider handed it back, and when
    care with that provider ends (brokering is already looking for the next)."""
    when = (
        f"its last day with them is {_day(hand_back.last_day)}"
        if hand_back.last_day
        else "it is open again now"
    )
    notify(
        kind=NotificationKind.HANDED_BACK,
        users=recipients.brokers_for_zone(package.zone_id),
        message=(
            f"Package {package.pk} ({hours_text(package.weekly_hours)} hours a week) was "
            f"handed back by its provider: {when}. Brokering has started for a new provider."
        ),
        link=_package_link(package),
        event=f"package:{package.pk}:hand_back:{hand_back.pk}",
        package_id=package.pk,
    )


def review_due(package) -> None:
    """Tell the brokers who may see the package that its review has fallen due."""
    notify(
        kind=NotificationKind.REVIEW_DUE,
        users=recipients.brokers_for_zone(package.zone_id),
        message=(
            f"Package {package.pk} in {package.zone.name} is due a review "
            f"({_day(package.review_due_on)})."
        ),
        link=reverse("packages:review", args=[package.pk]),
        event=f"package:{package.pk}:review_due:{package.review_due_on.isoformat()}",
        package_id=package.pk,
    )


def review_asked(package, event) -> None:
    """Tell the brokers that the provider caring for the package asks for a review (its
    reason is on the package's timeline: free text stays out of notifications)."""
    notify(
        kind=NotificationKind.REVIEW_DUE,
        users=recipients.brokers_for_zone(package.zone_id),
        message=f"The provider of package {package.pk} asks for a review: see its timeline.",
        link=reverse("packages:review", args=[package.pk]),
        event=f"package:{package.pk}:review_asked:{event.pk}",
        package_id=package.pk,
    )
