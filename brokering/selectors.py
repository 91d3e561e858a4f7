"""Brokering reads shared by the pages and the API."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch

from core import clock
from packages import free_text
from packages.models import PackageVersion
from providers.selectors import RotaPeriod, contracts_in_order, rota_period

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


def rota_first_offers(zone, starts: datetime.date, ends: datetime.date):
    """The counted first offers of a rota zone sent from `starts` to `ends` (UK days): what
    its shares are kept by."""
    return Offer.objects.filter(
        rota_zone=zone,
        sent_at__gte=clock.midnight(starts),
        sent_at__lt=clock.midnight(ends, days=1),
    )


@dataclass(frozen=True)
class RotaSplit:
    """A rota zone's period now: the first offers each of its two providers has had so far,
    against their shares, and when they next swap."""

    period: RotaPeriod
    lead_firsts: int
    other_firsts: int

    @property
    def firsts(self) -> int:
        return self.lead_firsts + self.other_firsts

    @property
    def next_swap(self) -> datetime.date:
        return self.period.ends + datetime.timedelta(days=1)

    @property
    def lead_percent(self) -> int | None:
        return self._percent(self.lead_firsts)

    @property
    def other_percent(self) -> int | None:
        return self._percent(self.other_firsts)

    def _percent(self, count) -> int | None:
        return round(100 * count / self.firsts) if self.firsts else None


def rota_split(zone) -> RotaSplit | None:
    """This period's actual split of a rota zone's first offers; None unless a complete rota."""
    period = rota_period(zone, list(contracts_in_order(zone.contracts.all())))
    if period is None:
        return None
    counts = {}
    if period.started:
        firsts = rota_first_offers(zone, period.starts, period.ends)
        counts = dict(
            firsts.order_by()
            .values("provider_id")
            .annotate(n=Count("pk"))
            .values_list("provider_id", "n")
        )
    return RotaSplit(
        period,
        lead_firsts=counts.get(period.lead.provider_id, 0),
        other_firsts=counts.get(period.other.provider_id, 0),
    )
