"""Reserve providers as a setting to try: not a zone field, but the zone's reserve contracts.

`"reserve_providers": ["CODE", ...]` among a zone's settings makes exactly
these providers the zone's reserve for the replay (an empty list: none), as a
commissioner would by adding and removing reserve contracts: through
providers' own services, inside the replay's transaction, so the live market
keeps its contracts. Reserve providers are asked only once every other
eligible provider in the zone has been (brokering.allocation).
"""

from django.core.exceptions import ValidationError

from core import clock
from providers import services as providers_services
from providers.models import Contract, ContractRole, Provider

FIELD = "reserve_providers"


def check(zone, codes) -> list[Provider]:
    """The providers `codes` names, in order; ValidationError saying what is wrong."""
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ValidationError("Give the reserve providers as a list of provider codes.")
    codes = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    providers = {p.code: p for p in Provider.objects.filter(code__in=codes)}
    if unknown := [code for code in codes if code not in providers]:
        raise ValidationError(f"No provider has the code {', '.join(unknown)}.")
    placed = (
        Contract.objects.filter(zone=zone, provider__code__in=codes)
        .exclude(role=ContractRole.RESERVE)
        .select_related("provider")
        .order_by("provider__code")
    )
    if contract := placed.first():
        raise ValidationError(
            f"{contract.provider.code} already has a contract in {zone.name} as "
            f"{contract.get_role_display().lower()}: a reserve provider is one without."
        )
    return [providers[code] for code in codes]


def make_reserve(zone, providers: list[Provider]) -> None:
    """Make `providers` the zone's reserve from today (the replay's first day) on."""
    wanted = {provider.pk for provider in providers}
    reserve = Contract.objects.filter(zone=zone, role=ContractRole.RESERVE)
    for contract_id, provider_id in reserve.values_list("pk", "provider_id"):
        if provider_id not in wanted:
            providers_services.remove_contract(contract_id=contract_id, by=None)
    held = set(reserve.values_list("provider_id", flat=True))
    for provider in providers:
        if provider.pk not in held:
            providers_services.add_contract(
                by=None,
                zone=zone,
                provider=provider,
                role=ContractRole.RESERVE,
                starts_on=clock.today(),
            )
