"""Brokering reads shared by the pages and the API."""

from django.db.models import Prefetch

from packages import free_text
from packages.models import PackageVersion

from .models import Offer, OfferStatus
from .permissions import offers_for


def with_summary(offers):
    """Offers with what their anonymised summary needs, in a fixed number of queries."""
    versions = PackageVersion.objects.prefetch_related("visits")
    return offers.select_related("package__zone", "package__person", "provider").prefetch_related(
        Prefetch("package__versions", queryset=versions)
    )


def offer_summary(offer: Offer) -> dict:
    """What a provider may know of a package before accepting it: no name, NHS number,
    date of birth, address line or full postcode."""
    package = offer.package
    schedule = package.current_version
    return {
        "zone": package.zone.code,
        "zone_name": package.zone.name,
        "postcode_district": package.person.postcode_district,
        "weekly_hours": schedule.weekly_hours,
        "visits": [
            {
                "days": visit.days,
                "time": visit.time.strftime("%H:%M"),
                "duration_minutes": visit.duration_minutes,
                "carers": visit.carers,
                "purpose": visit.purpose,
            }
            for visit in schedule.visits.all()
        ],
        "start_date": package.start_date,
        "priority": package.priority,
        "source": package.source,
        # Text saved before needs were checked for identity is withheld, not shown.
        "needs": free_text.safe_to_offer(package),
    }


def pending_offers_for(user):
    return with_summary(offers_for(user).filter(status=OfferStatus.PENDING)).order_by(
        "expires_at", "pk"
    )


def offers_of_package(package, user):
    """Every offer of a package the user may see, newest round first, for the package page."""
    return (
        offers_for(user)
        .filter(package=package)
        .select_related("provider", "answered_by")
        .order_by("-round", "sent_at", "pk")
    )
