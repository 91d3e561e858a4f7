"""The allocation engine: which providers a package is offered to next, by its zone's mode.

Pure reads: `next_offers(package)` answers whom to ask now; the service in
brokering.services writes the offers under a lock on the package.

The order (brokering.eligibility.candidates): the zone's own providers by
role (primary, secondary, framework, then reserve), then, once nobody
eligible is left in the zone, each neighbour's providers in the order the
zone lists them. Within a role, those whose remaining declared capacity
covers the package first, then the fewest hours placed this week.

- broadcast: every eligible provider of the first group still unasked at
  once: the zone's framework (with primary and secondary), then its reserve,
  then each neighbour's.
- cascade: one at a time in that order; an urgent package `urgent_wave` at a time.
- rota: the first offer of a newly submitted package goes to the acting
  primary or the acting secondary so that, within each rotation period,
  first offers follow their shares (halves rounded up); then the other one,
  then the rest in cascade order. Periods of `rotation_weeks` weeks run from
  the Monday of the week the zone's rota started (`Zone.rota_started_on`):
  the contract primary acts as primary in even periods, the secondary in odd.
"""

from dataclasses import dataclass

from core import clock
from packages.models import Package
from providers.models import Contract, ContractRole
from zones.models import AllocationMode

from . import eligibility, selectors


@dataclass(frozen=True)
class Choice:
    """Whom to offer the package to now, in order; `rota_period` marks the first provider's
    offer as a counted rota first offer."""

    providers: list
    rota_period: int | None = None


def next_offers(package: Package, *, round: int | None = None) -> Choice:
    """The providers to offer `package` to now in `round` (default: its current round);
    none: nobody eligible is left."""
    round = package.brokering_round if round is None else round
    order = eligible_candidates(package, round)
    if package.zone.allocation_mode == AllocationMode.ROTA:
        return _rota_choice(package, order, round)
    group = _first_group(order)
    if package.zone.allocation_mode == AllocationMode.BROADCAST:
        return Choice([c.provider for c in group])
    return Choice([c.provider for c in group[: _wave(package)]])


def eligible_candidates(package: Package, round: int) -> list[eligibility.Candidate]:
    """The eligible providers not yet asked in `round`, in the package's order.

    Left out: those who declined it (in any round) or handed it back, and those
    already asked in this round. One query: the engine runs on every submit,
    decline and expiry.
    """
    found = eligibility.candidates(package, unasked_in=round)
    return [c for c in found if not eligibility.why_not_eligible(c, package)]


def _group(candidate) -> tuple:
    """Providers asked together in a broadcast, and the bound of an urgent wave: the zone's
    own (but reserve), its reserve, then each neighbour's."""
    return candidate.zone_rank, candidate.zone_rank == 0 and candidate.role == ContractRole.RESERVE


def _first_group(order):
    return [c for c in order if _group(c) == _group(order[0])] if order else []


def _wave(package) -> int:
    return package.zone.urgent_wave if package.is_urgent else 1


def rota_ready(zone) -> bool:
    """Whether a rota zone has both its primary and its secondary, so the rota can run."""
    pair = Contract.objects.filter(
        zone=zone, role__in=(ContractRole.PRIMARY, ContractRole.SECONDARY)
    )
    return pair.count() == 2


def _rota_choice(package: Package, order, round) -> Choice:
    zone = package.zone
    period = zone.rotation_period(clock.today())
    pair = _rota_pair(zone, period)
    if pair is None:  # not a complete rota yet: plain cascade order
        return Choice([c.provider for c in _first_group(order)[: _wave(package)]])
    first_offer = round == 1 and not package.offers.exists()
    turn = _rota_turn(zone, period, *pair) if first_offer else pair[:2]
    by_provider = {c.provider.pk: c for c in order}
    lead = [by_provider[provider_id] for provider_id in turn if provider_id in by_provider]
    wave = _first_group(lead + [c for c in order if c.provider.pk not in turn])
    wave = wave[: _wave(package)]
    counted = period if first_offer and lead else None
    return Choice([c.provider for c in wave], counted)


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
    acting primary has had round(k x its share), halves rounded up (80/20: the 3rd of every
    5 goes to the acting secondary, and a period of 4 gives 3 and 1).

    Counting the period's first offers from the database (under the zone's
    lock, taken by the caller) keeps the shares exact across workers. They are
    counted by the days the period covers, not by its number, which a change
    of `rotation_weeks` reuses for other days.
    """
    firsts = selectors.rota_first_offers(zone, *zone.rotation_period_dates(period))
    given = firsts.count()
    to_primary = firsts.filter(provider_id=acting_primary).count()
    total = primary_share + secondary_share
    # round(x / total) with halves up, in whole numbers: floor((2x + total) / 2 total).
    due = (2 * (given + 1) * primary_share + total) // (2 * total)
    if to_primary < due:
        return acting_primary, acting_secondary
    return acting_secondary, acting_primary
