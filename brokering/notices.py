"""What brokering tells whom: providers of offers sent and withdrawn, brokers of escalations.

Each goes through notifications.services.notify, in the brokering transaction,
once per event. None carries personal data: the package number, zone, hours
and dates, and a link to sign in.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from core import records
from notifications import recipients
from notifications.models import NotificationKind
from notifications.services import News, notify, notify_each

from .models import WithdrawnBecause


def offers_sent(package, offers) -> None:
    """Tell every user of each offered provider that an offer is waiting."""
    if not records.kept():  # a replay's: nobody to look up (core.records)
        return
    starts = date_format(package.start_date, settings.DATE_FORMAT)
    staff = recipients.users_of_providers({offer.provider_id for offer in offers})
    notify_each(
        kind=NotificationKind.OFFER,
        news=[
            News(
                users=staff[offer.provider_id],
                message=(
                    f"New offer: package {package.pk}, {package.weekly_hours:g} hours a week in "
                    f"{package.zone.name}, starting {starts}. Answer by {_answer_by(offer)}."
                ),
                link=reverse("brokering:portal_offer", args=[offer.pk]),
                event=f"offer:{offer.pk}",
                package_id=package.pk,
            )
            for offer in offers
        ],
    )


def _answer_by(offer) -> str:
    return date_format(timezone.localtime(offer.expires_at), settings.DATETIME_FORMAT)


def offers_withdrawn(offers, because) -> None:
    """Tell each provider whose pending offer was withdrawn that it need not answer."""
    if not records.kept():
        return
    why = WithdrawnBecause(because).label.lower()
    staff = recipients.users_of_providers({offer.provider_id for offer in offers})
    notify_each(
        kind=NotificationKind.OFFER_WITHDRAWN,
        news=[
            News(
                users=staff[offer.provider_id],
                message=f"The offer of package {offer.package_id} was withdrawn: {why}.",
                link=reverse("brokering:portal_offer", args=[offer.pk]),
                event=f"offer:{offer.pk}",
                package_id=offer.package_id,
            )
            for offer in offers
        ],
    )


def escalated(package) -> None:
    """Tell the brokers who may see the package that one of them must act."""
    if not records.kept():
        return
    notify(
        kind=NotificationKind.ESCALATED,
        users=recipients.brokers_for_zone(package.zone_id),
        message=(
            f"Package {package.pk} in {package.zone.name} ({package.weekly_hours:g} hours a "
            "week) has no eligible provider left: place it by hand or re-broker it."
        ),
        link=reverse("packages:detail", args=[package.pk]),
        # Once each time the package opens (submitted, handed back): brokering's own re-tries
        # that find nobody willing do not tell the brokers again.
        event=f"package:{package.pk}:escalated:{_opened(package)}",
        package_id=package.pk,
    )


def fill_overdue(package) -> None:
    """Tell the brokers who may see the package that it is past its zone's fill target."""
    target = int(package.zone.fill_target(package.is_urgent).total_seconds() // 60)
    notify(
        kind=NotificationKind.FILL_OVERDUE,
        users=recipients.brokers_for_zone(package.zone_id),
        message=(
            f"Package {package.pk} in {package.zone.name} ({package.get_priority_display().lower()}"
            f", {package.weekly_hours:g} hours a week) is still unfilled {target} minutes after "
            "it was submitted: the zone's fill target."
        ),
        link=reverse("packages:detail", args=[package.pk]),
        event=f"package:{package.pk}:fill_overdue",
        package_id=package.pk,
    )


def _opened(package) -> str:
    opened = package.waiting_since or package.submitted_at
    return f"{opened:%Y%m%dT%H%M%S%f}" if opened else "draft"
