"""Who may be given a package, decided in one place.

`why_not_eligible` is the one rule: the engine filters its candidates with it,
accepting an offer re-checks it, and placing by hand shows it (and needs an
override reason when it answers anything). `candidates` gathers, in one query,
what it and the engine's order read: each provider contracted in the package's
zone or one of its neighbours, with its placed hours, this week's load and its
remaining declared capacity for the package's zone and first week.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
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
from core.formats import hours_text
from core.queries import Prepared
from packages.models import HandBack, Package, PackageStatus
from providers.models import (
    ELIGIBLE_RATINGS,
    Capacity,
    Contract,
    ContractRole,
    ProviderStatus,
    contracts_in_force,
)
from providers.selectors import with_remaining
from zones.models import Neighbour

from .models import Offer, OfferStatus

ROLE_ORDER = {
    ContractRole.PRIMARY: 0,
    ContractRole.SECONDARY: 1,
    ContractRole.FRAMEWORK: 2,
    ContractRole.RESERVE: 3,
}


@dataclass
class Candidate:
    """A provider that might take a package, with the facts its eligibility and rank read.

    `zone_rank` is 0 for a contract in the package's zone, 1, 2, ... for one in its
    first, second, ... neighbour, None for no contract in either."""

    provider: object
    contract: Contract | None
    zone_rank: int | None
    placed_hours: Decimal
    placed_this_week: Decimal = Decimal("0")
    remaining_hours: Decimal | None = None

    @property
    def role(self) -> str | None:
        return self.contract.role if self.contract else None

    def covers(self, package) -> bool:
        """Whether its remaining declared capacity covers the package's weekly hours."""
        return self.remaining_hours is not None and self.remaining_hours >= package.weekly_hours

    def room_under_cap(self) -> Decimal | None:
        cap = self.provider.weekly_hours_cap
        return None if cap is None else cap - self.placed_hours


def why_not_eligible(candidate: Candidate, package, *, needs_contract=True) -> list[str]:
    """Why the provider may not be given the package, in a broker's words; [] when it may.

    `needs_contract=False` leaves out the contract (accepting an offer already sent)."""
    provider, reasons = candidate.provider, []
    if provider.status != ProviderStatus.ACTIVE:
        reasons.append(f"{provider.name} is {provider.get_status_display().lower()}, not active.")
    if provider.cqc_rating not in ELIGIBLE_RATINGS:
        reasons.append(
            f"{provider.name} is rated {provider.get_cqc_rating_display()}: only providers "
            "rated Outstanding or Good are given work."
        )
    room = candidate.room_under_cap()
    if room is not None and package.weekly_hours > room:
        reasons.append(
            f"{package.weekly_hours:g} more hours would take {provider.name} over its weekly "
            f"cap of {hours_text(provider.weekly_hours_cap)} hours "
            f"({hours_text(candidate.placed_hours)} already placed)."
        )
    if needs_contract and candidate.zone_rank is None:
        reasons.append(
            f"{provider.name} has no contract in {package.zone.name} or a neighbouring zone."
        )
    return reasons


def candidates(package, *, unasked_in=None, provider=None) -> list[Candidate]:
    """The providers contracted in the package's zone or its neighbours (contracts in force
    today), eligible or not, best placed first: by zone (its own, then the neighbours in
    order), role, a guarantee its placed work in that zone does not yet fill, capacity
    covering the package, then the fewest hours placed this week. A provider contracted
    in several of those zones appears once, at its best place.

    `unasked_in`: a brokering round of the package: those asked in it, those who declined
    the package (in any round) and those who handed it back are left out. `provider`:
    only this provider's (an id).
    """
    today = clock.today()
    values = {
        "zone_id": package.zone_id,
        "today": today,
        "this_week": clock.midnight(clock.week_start(today)),
        "first_week": clock.week_start(max(package.start_date, today)),
    }
    if unasked_in is not None:
        values.update(package_id=package.pk, round=unasked_in)
    if provider is not None:
        values.update(provider_id=provider)
    seen, found = set(), []
    for contract in sorted(_CONTRACTS(**values), key=lambda c: rank(c, package)):
        if contract.provider_id not in seen:
            seen.add(contract.provider_id)
            found.append(_candidate(contract))
    return found


def candidate_for(package, provider) -> Candidate:
    """One provider's facts for the package, contracted in its zone or a neighbour or not."""
    found = candidates(package, provider=provider.pk)
    if found:
        return found[0]
    return Candidate(provider, None, None, placed_hours=placed_hours(provider.pk))


def ranked_for_placing(package) -> list[tuple[Candidate, list[str]]]:
    """The providers a broker may place the package with by hand, each with why not (if
    not eligible): the eligible first, then by the package's order."""
    found = candidates(package)
    found = [(c, why_not_eligible(c, package)) for c in found]
    return sorted(found, key=lambda pair: bool(pair[1]))


def rank(contract, package) -> tuple:
    """Where a contract's provider stands in the package's order (lower is asked first)."""
    covers = contract.remaining_hours is not None and contract.remaining_hours >= (
        package.weekly_hours
    )
    return (
        contract.zone_rank,
        ROLE_ORDER[contract.role],
        not contract.guaranteed_hours > contract.placed_in_zone,
        not covers,
        contract.placed_this_week,
        contract.provider.code,
    )


def _candidate(contract) -> Candidate:
    return Candidate(
        provider=contract.provider,
        contract=contract,
        zone_rank=contract.zone_rank,
        placed_hours=contract.placed_hours,
        placed_this_week=contract.placed_this_week,
        remaining_hours=contract.remaining_hours,
    )


def _contracts(
    *, zone_id, today, this_week, first_week, package_id=None, round=None, provider_id=None
):
    """One query: the contracts of the zone and its neighbours, with their facts. Run as
    `_CONTRACTS` (compiled once: the engine runs it on every submit, decline and expiry,
    and building it cost the ORM four times what running it costs the database)."""
    neighbours = Neighbour.objects.filter(zone_id=zone_id)
    placed = Package.objects.filter(provider=OuterRef("provider_id"), status=PackageStatus.PLACED)
    capacity = with_remaining(
        Capacity.objects.filter(
            provider=OuterRef("provider_id"), zone_id=zone_id, week_start=first_week
        )
    )
    contracts = (
        Contract.objects.filter(
            contracts_in_force(today),
            Q(zone_id=zone_id) | Q(zone__in=neighbours.values("neighbour_id")),
        )
        .annotate(
            zone_rank=Case(
                When(zone_id=zone_id, then=Value(0)),
                default=Subquery(
                    neighbours.filter(neighbour_id=OuterRef("zone_id")).values("position")[:1]
                )
                + 1,
                output_field=IntegerField(),
            ),
            placed_hours=_hours(placed),
            placed_in_zone=_hours(placed.filter(zone_id=OuterRef("zone_id"))),
            placed_this_week=_hours(placed.filter(placed_at__gte=this_week)),
            remaining_hours=Subquery(capacity.values("remaining_hours")[:1]),
        )
        .select_related("provider", "zone")
    )
    if package_id is not None:
        asked = Offer.objects.filter(package_id=package_id).filter(
            Q(round=round) | Q(status=OfferStatus.DECLINED)
        )
        handed_back = HandBack.objects.filter(package_id=package_id)
        contracts = contracts.exclude(provider__in=asked.values("provider_id")).exclude(
            provider__in=handed_back.values("provider_id")
        )
    if provider_id is not None:
        contracts = contracts.filter(provider_id=provider_id)
    return contracts


_CONTRACTS = Prepared(_contracts)


def placed_hours(provider_id) -> Decimal:
    """The weekly hours of the packages placed with a provider now: what its cap counts."""
    placed = Package.objects.filter(provider_id=provider_id, status=PackageStatus.PLACED)
    return placed.aggregate(total=Sum("weekly_hours"))["total"] or Decimal("0")


def _hours(packages):
    """The weekly hours of `packages` summed (0 when none), as a subquery."""
    total = packages.order_by().values("provider_id").annotate(total=Sum("weekly_hours"))
    return Coalesce(Subquery(total.values("total")), Value(Decimal("0")))
