"""Rates over time and per zone: the one place that says what an hour of a provider's care
costs on a date in a zone.

A visit is priced at the rate in force on its date: the zone's own rate when the provider
has one there, else its every-zone rate; before its first every-zone rate, that first rate
(a provider's rate covers care given before it was recorded: emergency care arranged
first). Invoices, their previews, recorded visits and the commissioned spend all read
rates through `RateBook.rate_on`, loaded once for the providers they price (one query,
however many visits).
"""

import bisect
import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from core import clock

from .models import Rate


class NoRate(LookupError):
    """A provider has no rate in force on a date: it was never given one that early."""


class RateBook:
    """The rates of some providers, to look up by (provider, zone, day)."""

    def __init__(self, rates):
        # {(provider id, zone id or None): ([effective_from ascending], [hourly_rate])}
        self._dates = defaultdict(list)
        self._rates = defaultdict(list)
        for rate in sorted(rates, key=lambda r: r[3]):
            provider_id, zone_id, hourly_rate, effective_from = rate
            self._dates[(provider_id, zone_id)].append(effective_from)
            self._rates[(provider_id, zone_id)].append(Decimal(hourly_rate))

    @classmethod
    def load(cls, provider_ids=None) -> "RateBook":
        """The rates of `provider_ids` (every provider's when None)."""
        rates = Rate.objects.all()
        if provider_ids is not None:
            rates = rates.filter(provider_id__in=list(provider_ids))
        return cls(rates.values_list("provider_id", "zone_id", "hourly_rate", "effective_from"))

    def rate_on(self, provider_id: int, zone_id: int | None, day: datetime.date) -> Decimal:
        """The base hourly rate in force on `day` in the zone: the zone's own, else the
        every-zone one, else (before any) the provider's first every-zone rate."""
        for key in ((provider_id, zone_id), (provider_id, None)):
            dates = self._dates.get(key)
            if dates:
                index = bisect.bisect_right(dates, day)
                if index:
                    return self._rates[key][index - 1]
        first = self._rates.get((provider_id, None))
        if first:
            return first[0]
        raise NoRate(f"Provider {provider_id} has no every-zone rate.")

    def changes(self, provider_id: int, zone_id: int | None) -> list[datetime.date]:
        """The days the provider's rate in the zone may change on, in order."""
        return sorted(
            {
                *self._dates.get((provider_id, zone_id), ()),
                *self._dates.get((provider_id, None), ()),
            }
        )


def rate_today(provider_id: int, zone_id: int | None = None) -> Decimal:
    """A provider's rate in force today (every zone by default)."""
    return RateBook.load([provider_id]).rate_on(provider_id, zone_id, clock.today())


def with_rate_today(providers):
    """Providers with `hourly_rate`: the every-zone rate in force today (or the first, for
    one whose rates all start later), as the API and the pages show it."""
    every_zone = Rate.objects.filter(provider=OuterRef("pk"), zone__isnull=True)
    in_force = every_zone.filter(effective_from__lte=clock.today()).order_by("-effective_from")
    first = every_zone.order_by("effective_from")
    return providers.annotate(
        hourly_rate=Coalesce(
            Subquery(in_force.values("hourly_rate")[:1]), Subquery(first.values("hourly_rate")[:1])
        )
    )
