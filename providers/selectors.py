"""Reads of the market shared by pages and API: providers, a zone's contracts, the rota, capacity."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from core import clock
from core.queries import related_count
from zones.models import AllocationMode, Zone

from .models import Capacity, Contract, ContractRole, Provider
from .rates import with_rate_today

ROLE_ORDER = Case(
    When(role=ContractRole.PRIMARY, then=Value(0)),
    When(role=ContractRole.SECONDARY, then=Value(1)),
    When(role=ContractRole.FRAMEWORK, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def provider_list(queryset):
    """Providers for the list page and its CSV, with the number of zones each works in."""
    # A count per provider of the page (not a grouping of every provider's contracts), in
    # the order of the index `provider_listed`.
    return (
        with_rate_today(queryset)
        .annotate(zone_count=related_count(Provider, "contracts"))
        .order_by("name", "code")
    )


def contracts_in_order(queryset):
    """Contracts primary first, then secondary, then framework, then reserve providers by name."""
    return queryset.select_related("zone", "provider").order_by(
        ROLE_ORDER, "zone__code", "provider__name"
    )


@dataclass(frozen=True)
class RotaPeriod:
    """Who leads a rota zone now: the contract primary in even periods, the secondary in odd."""

    number: int
    starts: datetime.date
    ends: datetime.date
    lead: Contract
    other: Contract
    swapped: bool
    started: bool
    lead_share: int
    other_share: int


def rota_period(zone, contracts, on: datetime.date | None = None) -> RotaPeriod | None:
    """This rota period of a rota zone, from its already loaded `contracts`; None if not a rota.

    The two swap roles each new period of `rotation_weeks` weeks: the acting
    primary gets the primary's share of first offers (80 of 100 with 80/20).
    """
    if zone.allocation_mode != AllocationMode.ROTA:
        return None
    by_role = {c.role: c for c in contracts}
    primary, secondary = by_role.get(ContractRole.PRIMARY), by_role.get(ContractRole.SECONDARY)
    if primary is None or secondary is None:
        return None
    on = on or clock.today()
    if zone.rota_started_on is None:
        # Brokering starts the rota's first period on the Monday of its first offer, with
        # the contract primary leading: shown as if that were this week.
        number, starts = 0, clock.week_start(on)
        ends = starts + datetime.timedelta(weeks=zone.rotation_weeks, days=-1)
    else:
        number = zone.rotation_period(on)
        starts, ends = zone.rotation_period_dates(number)
    swapped = bool(number % 2)
    lead, other = (secondary, primary) if swapped else (primary, secondary)
    return RotaPeriod(
        number=number,
        starts=starts,
        ends=ends,
        lead=lead,
        other=other,
        swapped=swapped,
        started=zone.rota_started_on is not None,
        # The shares belong to the roles, not to the providers holding them.
        lead_share=primary.share_percent,
        other_share=secondary.share_percent,
    )


def rate_history(queryset):
    """Rates by provider, then zone (every zone first), newest first."""
    return queryset.select_related("provider", "zone", "created_by").order_by(
        "provider__code", F("zone__code").asc(nulls_first=True), "-effective_from", "-pk"
    )


def with_remaining(capacity):
    """Capacity records with `remaining_hours`: the hours declared minus the weekly hours of
    the packages placed with that provider in that zone since the declaration."""
    # Packages sit above providers: their model is reached through the relation, by value.
    package_model = Provider._meta.get_field("packages").related_model
    placed = (
        package_model.objects.filter(
            provider=OuterRef("provider_id"),
            zone=OuterRef("zone_id"),
            status="placed",
            placed_at__gte=OuterRef("declared_at"),
        )
        .order_by()
        .values("provider")
        .annotate(total=Sum("weekly_hours"))
        .values("total")
    )
    return capacity.annotate(
        remaining_hours=ExpressionWrapper(
            F("hours") - Coalesce(Subquery(placed), Value(Decimal("0"))),
            output_field=DecimalField(max_digits=8, decimal_places=2),
        )
    )


def capacity_list(queryset):
    return with_remaining(queryset.select_related("provider", "zone")).order_by(
        "-week_start", "zone__code", "provider__name"
    )


def recent_and_coming_capacity(provider, *, weeks_back: int = 4):
    """A provider's declared capacity from a few weeks ago onwards, newest week first."""
    since = clock.week_start(clock.today()) - datetime.timedelta(weeks=weeks_back)
    return capacity_list(Capacity.objects.filter(provider=provider, week_start__gte=since))


def capacity_grid(provider, weeks):
    """The rows and boxes of a provider's capacity grid: the zones it has a contract in or
    has declared for in `weeks` (by name), and its declarations then, keyed (zone id,
    Monday), with their remaining hours. Two queries, however many zones and weeks."""
    declared = {
        (c.zone_id, c.week_start): c
        for c in with_remaining(Capacity.objects.filter(provider=provider, week_start__in=weeks))
    }
    zones = (
        Zone.objects.filter(
            Q(contracts__provider=provider) | Q(pk__in={zone_id for zone_id, _ in declared})
        )
        .distinct()
        .order_by("name")
    )
    return list(zones), declared
