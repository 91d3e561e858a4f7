"""The allocation engine: which providers a package is offered to next, by its zone's mode.

Pure reads: `next_offers(package)` answers whom to ask now; the service in
brokering.services writes the offers under a lock on the package.

- broadcast: every eligible provider with a contract in the zone, at once.
- cascade: one at a time: primary, secondary, then framework providers;
  within a role, those whose guaranteed hours in the zone its placed packages
  do not yet fill first, then those with declared spare capacity for the zone
  and week, then the fewest hours placed with them this week.
- rota: the first offer of a newly submitted package goes to the acting
  primary or the acting secondary so that, within each rotation period,
  first offers follow their shares exactly; then the other one, then the
  framework providers in cascade order. Periods of `rotation_weeks` weeks
  run from the day the zone's rota started (`Zone.rota_started_on`): the
  contract primary acts as primary in even periods, the secondary in odd.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from core import clock
from packages.models import HandBack, Package, PackageStatus
from providers.models import (
    ELIGIBLE_RATINGS,
    Capacity,
    Contract,
    ContractRole,
    ProviderStatus,
    contracts_in_force,
)
from zones.models import AllocationMode

from .models import Offer, OfferStatus

ROLE_ORDER = {ContractRole.PRIMARY: 0, ContractRole.SECONDARY: 1, ContractRole.FRAMEWORK: 2}


@dataclass(frozen=True)
class Choice:
    """Whom to offer the package to now; `rota_period` marks a counted rota first offer."""

    providers: list
    rota_period: int | None = None


def next_offers(package: Package) -> Choice:
    """The providers to offer `package` to now (none: nobody eligible is left)."""
    contracts = eligible_contracts(package)
    mode = package.zone.allocation_mode
    if mode == AllocationMode.BROADCAST:
        return Choice([c.provider for c in contracts])
    if mode == AllocationMode.ROTA:
        return _rota_choice(package, contracts)
    return Choice([c.provider for c in contracts[:1]])


def eligible_contracts(package: Package) -> list[Contract]:
    """Contracts in the package's zone whose provider may be asked now, in cascade order.

    Excluded: contracts not in force today (outside their dates), providers not
    active or not rated Outstanding/Good, those who declined or handed back this
    package, those already asked in this round, and those whose weekly hours cap
    its placed packages plus this one exceed.
    One query: the engine runs on every submit, decline and expiry.
    """
    today = clock.today()
    asked = Offer.objects.filter(package=package).filter(
        Q(round=package.brokering_round) | Q(status=OfferStatus.DECLINED)
    )
    placed = Package.objects.filter(provider=OuterRef("provider_id"), status=PackageStatus.PLACED)
    this_week = clock.midnight(clock.week_start(today))
    capacity = Capacity.objects.filter(
        provider=OuterRef("provider_id"),
        zone_id=package.zone_id,
        week_start=clock.week_start(max(package.start_date, today)),
        hours__gte=package.weekly_hours,
    )
    return list(
        Contract.objects.filter(
            contracts_in_force(today),
            zone_id=package.zone_id,
            provider__status=ProviderStatus.ACTIVE,
            provider__cqc_rating__in=ELIGIBLE_RATINGS,
        )
        .exclude(provider__in=asked.values("provider_id"))
        .exclude(provider__in=HandBack.objects.filter(package=package).values("provider_id"))
        .annotate(
            placed_hours=_hours(placed),
            placed_in_zone=_hours(placed.filter(zone_id=package.zone_id)),
            placed_this_week=_hours(placed.filter(placed_at__gte=this_week)),
            has_capacity=Exists(capacity),
            role_order=Case(
                *(When(role=role, then=Value(rank)) for role, rank in ROLE_ORDER.items())
            ),
        )
        .filter(
            Q(provider__weekly_hours_cap__isnull=True)
            | Q(provider__weekly_hours_cap__gte=F("placed_hours") + package.weekly_hours)
        )
        .select_related("provider")
        .annotate(
            guarantee_unfilled=Case(
                When(guaranteed_hours__gt=F("placed_in_zone"), then=Value(True)),
                default=Value(False),
            )
        )
        .order_by(
            "role_order",
            "-guarantee_unfilled",
            "-has_capacity",
            "placed_this_week",
            "provider__code",
        )
    )


def placed_hours(provider_id) -> Decimal:
    """The weekly hours of the packages placed with a provider now: what its cap counts."""
    placed = Package.objects.filter(provider_id=provider_id, status=PackageStatus.PLACED)
    return placed.aggregate(total=Sum("weekly_hours"))["total"] or Decimal("0")


def _hours(packages):
    """The weekly hours of `packages` summed (0 when none), as a subquery."""
    total = packages.order_by().values("provider_id").annotate(total=Sum("weekly_hours"))
    return Coalesce(Subquery(total.values("total")), Value(Decimal("0")))


def rota_ready(zone) -> bool:
    """Whether a rota zone has both its primary and its secondary, so the rota can run."""
    pair = Contract.objects.filter(
        zone=zone, role__in=(ContractRole.PRIMARY, ContractRole.SECONDARY)
    )
    return pair.count() == 2


def _rota_choice(package: Package, contracts: list[Contract]) -> Choice:
    zone = package.zone
    period = zone.rotation_period(clock.today())
    pair = _rota_pair(zone, period)
    if pair is None:  # not a complete rota yet: plain cascade order
        return Choice([c.provider for c in contracts[:1]])
    eligible = {c.provider_id: c for c in contracts}
    first_offer = package.brokering_round == 1 and not package.offers.exists()
    order = _rota_turn(zone, period, *pair) if first_offer else pair[:2]
    for provider_id in order:
        if provider_id in eligible:
            return Choice([eligible[provider_id].provider], period if first_offer else None)
    return Choice([c.provider for c in contracts if c.role == ContractRole.FRAMEWORK][:1])


def _rota_pair(zone, period: int):
    """(acting primary id, acting secondary id, primary share, secondary share), or None."""
    rows = {
        role: (provider_id, share)
        for role, provider_id, share in Contract.objects.filter(
            zone=zone, role__in=(ContractRole.PRIMARY, ContractRole.SECONDARY)
        ).values_list("role", "provider_id", "share_percent")
    }
    if len(rows) < 2:
        return None
    (primary, primary_share), (secondary, secondary_share) = (
        rows[ContractRole.PRIMARY],
        rows[ContractRole.SECONDARY],
    )
    if primary_share + secondary_share == 0:  # shares not set yet: split evenly
        primary_share = secondary_share = 1
    if period % 2:
        primary, secondary = secondary, primary
    return primary, secondary, primary_share, secondary_share


def _rota_turn(zone, period, acting_primary, acting_secondary, primary_share, secondary_share):
    """Both providers, the one whose turn it is first: after k first offers in the period the
    acting primary has had ceil(k x its share) of them (80/20: 8 of every 10).

    Counting the period's first offers from the database (under the zone's
    lock, taken by the caller) keeps the shares exact across workers. They are
    counted by the days the period covers, not by its number, which a change
    of `rotation_weeks` reuses for other days.
    """
    starts, ends = zone.rotation_period_dates(period)
    firsts = Offer.objects.filter(
        rota_zone=zone,
        sent_at__gte=clock.midnight(starts),
        sent_at__lt=clock.midnight(ends, days=1),
    )
    given = firsts.count()
    to_primary = firsts.filter(provider_id=acting_primary).count()
    if to_primary * (primary_share + secondary_share) < (given + 1) * primary_share:
        return acting_primary, acting_secondary
    return acting_secondary, acting_primary
