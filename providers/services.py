"""Writes to the market: providers, their contracts in zones, and the capacity they declare."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Role
from core import audit, clock
from core.errors import constraint_errors
from core.formats import date_text
from zones.models import AllocationMode, Zone

from . import rates, signals
from .models import (
    ELIGIBLE_RATINGS,
    Capacity,
    Contract,
    ContractRole,
    Provider,
    ProviderStatus,
    Rate,
)

# Words used in page URLs next to provider codes (/providers/new/, /providers/capacity/).
RESERVED_CODES = {"new", "capacity", "contracts", "rates"}

PROVIDER_FIELDS = {
    "name",
    "cqc_location_id",
    "cqc_rating",
    "status",
    "lot",
    "weekly_hours_cap",
    "hourly_rate",
    "contact_email",
    "supplier_reference",
    "weekend_uplift_percent",
    "bank_holiday_uplift_percent",
    "pay_tolerance_minutes",
    "pay_rounding_minutes",
}
ROTA_ROLES = (ContractRole.PRIMARY, ContractRole.SECONDARY)


def create_provider(*, by, code: str, name: str, hourly_rate: Decimal, **fields) -> Provider:
    """A new provider organisation, its every-zone rate in force from today (and, being its
    first, for any care before); `fields` are any of PROVIDER_FIELDS."""
    _check_fields(fields)
    if str(code).lower() in RESERVED_CODES:
        raise ValidationError({"code": [f"{code} is a reserved word: choose another code."]})
    provider = Provider(code=code, name=name, **fields)
    with _unique_code_race(), transaction.atomic():
        provider.full_clean()
        provider.save()
        audit.record(by=by, obj=provider, action=audit.CREATE, changes=audit.created(provider))
        add_rate(by=by, provider=provider, hourly_rate=hourly_rate, effective_from=clock.today())
    return provider


def update_provider(*, provider_id: int, by, **changes) -> Provider:
    """Change some of a provider's details (its code stays: other systems use it). A new
    `hourly_rate` is its every-zone rate from today: care already given keeps its rate."""
    code = changes.pop("code", None)
    hourly_rate = changes.pop("hourly_rate", None)
    _check_fields(changes)
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        before = audit.snapshot(provider)
        if code is not None and code != provider.code:
            raise ValidationError(
                {"code": ["A provider's code cannot be changed: other systems use it."]}
            )
        for field, value in changes.items():
            setattr(provider, field, value)
        provider.full_clean()
        provider.save()
        if provider_changes := audit.changed(before, provider):
            audit.record(by=by, obj=provider, changes=provider_changes)
        if hourly_rate is not None and hourly_rate != rates.rate_today(provider.pk):
            add_rate(
                by=by, provider=provider, hourly_rate=hourly_rate, effective_from=clock.today()
            )
        if provider.is_eligible and not _was_eligible(before):
            zone_ids = list(provider.contracts.values_list("zone_id", flat=True))
            signals.market_opened.send(sender=Provider, zone_ids=zone_ids)
    return provider


def _was_eligible(snapshot) -> bool:
    return (
        snapshot["status"] == ProviderStatus.ACTIVE and snapshot["cqc_rating"] in ELIGIBLE_RATINGS
    )


def add_rate(
    *,
    by,
    provider: Provider,
    hourly_rate: Decimal,
    effective_from: datetime.date,
    zone: Zone | None = None,
) -> tuple[Rate, bool]:
    """A provider's rate from `effective_from` on, in `zone` (None: every zone); a second
    rate for the same zone and day replaces the first. Returns the rate and whether it
    was new.

    A rate starts today or later: a period already priced (invoiced, or counted in spend)
    is never re-priced.
    """
    if effective_from is None or effective_from < clock.today():
        raise ValidationError(
            {
                "effective_from": [
                    "The date the rate starts must be today or later: care already given "
                    "keeps the rate it had."
                ]
            }
        )
    with _rate_race(), transaction.atomic():
        # Locking the provider serialises its rate changes (and its invoices' pricing).
        Provider.objects.select_for_update().get(pk=provider.pk)
        rate = Rate.objects.filter(
            provider=provider, zone=zone, effective_from=effective_from
        ).first() or Rate(provider=provider, zone=zone, effective_from=effective_from)
        created = rate.pk is None
        before = audit.snapshot(rate) if not created else None
        rate.hourly_rate, rate.created_at, rate.created_by = hourly_rate, clock.now(), by
        rate.full_clean(validate_unique=False, validate_constraints=False)
        rate.save()
        changes = audit.created(rate) if created else audit.changed(before, rate)
        audit.record(
            by=by, obj=rate, action=audit.CREATE if created else audit.UPDATE, changes=changes
        )
    return rate, created


CONTRACT_FIELDS = {"role", "share_percent", "starts_on", "ends_on", "guaranteed_hours"}


def add_contract(
    *, by, zone: Zone, provider: Provider, role: str, share_percent: int = 0, **terms
) -> Contract:
    """Give a provider a place in a zone; `terms` are any of starts_on (default today),
    ends_on and guaranteed_hours.

    A zone has one primary and one secondary at most, a provider one contract
    per zone, and in a rota zone the primary's and secondary's shares
    together stay within 100%.
    """
    _check_contract_fields(terms)
    with _contract_race(), transaction.atomic():
        # Locking the zone serialises contract changes in it, so the checks
        # below cannot be raced by a second request.
        zone = Zone.objects.select_for_update().get(pk=zone.pk)
        contract = Contract(
            zone=zone, provider=provider, role=role, share_percent=share_percent, **terms
        )
        contract.full_clean(validate_constraints=False)
        _check_dates(contract)
        _check_contract(contract)
        contract.save()
        audit.record(by=by, obj=contract, action=audit.CREATE, changes=audit.created(contract))
        signals.market_opened.send(sender=Provider, zone_ids=[zone.pk])
    return contract


def change_contract(*, contract_id: int, by, **changes) -> Contract:
    """Change a contract's role, share, dates or guaranteed hours (its zone and provider
    stay: remove it and add another for those), under the rules a new one follows;
    audited field by field, so the provider's and the zone's pages show its history."""
    for fixed in ("zone", "provider"):
        if fixed in changes:
            raise ValidationError(
                {fixed: [f"A contract's {fixed} cannot be changed: remove it and add another."]}
            )
    _check_contract_fields(changes)
    with _contract_race(), transaction.atomic():
        zone_id = Contract.objects.values_list("zone_id", flat=True).get(pk=contract_id)
        Zone.objects.select_for_update().get(pk=zone_id)
        contract = Contract.objects.select_related("zone", "provider").get(pk=contract_id)
        before = audit.snapshot(contract)
        for field, value in changes.items():
            setattr(contract, field, value)
        contract.full_clean(validate_constraints=False, validate_unique=False)
        _check_dates(contract)
        _check_rota(contract, [c for c in _others(contract) if c.pk != contract.pk])
        contract.save()
        if contract_changes := audit.changed(before, contract):
            audit.record(by=by, obj=contract, changes=contract_changes)
            # New dates or a new role may bring it into force, or before others.
            signals.market_opened.send(sender=Provider, zone_ids=[zone_id])
    return contract


def remove_contract(*, contract_id: int, by) -> None:
    with transaction.atomic():
        contract = Contract.objects.select_related("zone", "provider").get(pk=contract_id)
        audit.record(by=by, obj=contract, action=audit.DELETE, changes=audit.created(contract))
        contract.delete()


def declare_capacity(
    *, by, provider: Provider, zone: Zone, week_start: datetime.date, hours: Decimal
) -> tuple[Capacity, bool]:
    """Record a provider's spare hours in a zone for a week; a second declaration replaces the first.

    Returns the capacity and whether it was new.
    """
    with transaction.atomic():
        declared = _declare(by=by, provider=provider, zone=zone, week_start=week_start, hours=hours)
        signals.market_opened.send(sender=Provider, zone_ids=[zone.pk])
    return declared


def declare_capacities(*, by, provider: Provider, hours_by_cell: dict) -> int:
    """Declare a provider's spare hours for several zones and weeks at once, all or none:
    `hours_by_cell` maps (zone, Monday) to hours. A cell's error names its zone and week.
    Brokering hears of the zones once. Answers how many were declared."""
    with transaction.atomic():
        for (zone, week_start), hours in hours_by_cell.items():
            try:
                _declare(by=by, provider=provider, zone=zone, week_start=week_start, hours=hours)
            except ValidationError as error:
                cell = f"{zone.name}, week starting {date_text(week_start)}"
                raise ValidationError(
                    {f: [f"{cell}: {m}" for m in ms] for f, ms in error.message_dict.items()}
                ) from error
        zone_ids = sorted({zone.pk for zone, _ in hours_by_cell})
        if zone_ids:
            signals.market_opened.send(sender=Provider, zone_ids=zone_ids)
    return len(hours_by_cell)


def not_a_monday(week_start: datetime.date) -> str:
    """What is wrong with a week's start that is not a Monday ("" for a Monday)."""
    if week_start.weekday() == 0:
        return ""
    monday = clock.week_start(week_start)
    return (
        f"{date_text(week_start)} is a {week_start:%A}: a week starts on a Monday "
        f"(that week's is {date_text(monday)})."
    )


def _declare(*, by, provider, zone, week_start, hours) -> tuple[Capacity, bool]:
    if by is not None and by.role == Role.PROVIDER and by.provider_id != provider.pk:
        raise ValidationError(
            {"provider": ["You can declare capacity only for your own organisation."]}
        )
    not_monday = not_a_monday(week_start)
    if not_monday:
        raise ValidationError({"week_start": [not_monday]})
    candidate = Capacity(provider=provider, zone=zone, week_start=week_start, hours=hours)
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    capacity, created = Capacity.objects.update_or_create(
        provider=provider, zone=zone, week_start=week_start, defaults={"hours": hours}
    )
    action = audit.CREATE if created else audit.UPDATE
    audit.record(by=by, obj=capacity, action=action, changes={"hours": [None, str(hours)]})
    return capacity, created


def _check_fields(fields):
    unknown = set(fields) - PROVIDER_FIELDS
    if unknown:
        raise TypeError(f"unknown provider fields: {', '.join(sorted(unknown))}")


def _check_contract_fields(fields):
    unknown = set(fields) - CONTRACT_FIELDS
    if unknown:
        raise TypeError(f"unknown contract fields: {', '.join(sorted(unknown))}")


def _check_dates(contract):
    if contract.ends_on is not None and contract.ends_on < contract.starts_on:
        raise ValidationError(
            {
                "ends_on": [
                    "The end date must be on or after the start date "
                    f"({date_text(contract.starts_on)}): a contract cannot end before it starts."
                ]
            }
        )


def _others(contract):
    return list(contract.zone.contracts.select_related("provider"))


def _check_contract(contract):
    zone, provider = contract.zone, contract.provider
    others = _others(contract)
    existing = next((c for c in others if c.provider_id == provider.pk), None)
    if existing is not None:
        raise ValidationError(
            {
                "provider": [
                    f"{provider.name} already has a contract in {zone.name} "
                    f"(as {existing.get_role_display().lower()}): change that one instead."
                ]
            }
        )
    _check_rota(contract, others)


def _check_rota(contract, others):
    """One primary and one secondary at most; in a rota zone their shares within 100%."""
    zone = contract.zone
    if contract.role in ROTA_ROLES:
        holder = next((c for c in others if c.role == contract.role), None)
        if holder is not None:
            raise ValidationError(
                {
                    "role": [
                        f"{zone.name} already has a {contract.get_role_display().lower()} "
                        f"provider ({holder.provider.name}): a zone has one at most."
                    ]
                }
            )
        partner = next((c for c in others if c.role in ROTA_ROLES), None)
        total = contract.share_percent + (partner.share_percent if partner else 0)
        if zone.allocation_mode == AllocationMode.ROTA and total > 100:
            raise ValidationError(
                {
                    "share_percent": [
                        f"With {partner.provider.name}'s {partner.share_percent}% the primary's "
                        f"and secondary's shares would add up to {total}%: in a rota zone "
                        "they may not exceed 100%."
                    ]
                }
            )


def _rate_race():
    """The same rate added twice at once: the loser gets a 400 naming the day, not a 500."""
    return constraint_errors(
        {"rate_one": ("effective_from", "A rate from this day was added meanwhile: try again.")}
    )


def _unique_code_race():
    """A provider created twice at once: the loser gets a 400, not a 500."""
    return constraint_errors({"code": ("code", "A provider with this code already exists.")})


def _contract_race():
    """The database's constraints catch what the zone lock cannot (a contract made elsewhere)."""
    return constraint_errors(
        {
            "contract_one_per_zone": (
                "provider",
                "This provider already has a contract in this zone.",
            ),
            "primary": ("role", "This zone already has a provider in this role."),
            "secondary": ("role", "This zone already has a provider in this role."),
        }
    )
