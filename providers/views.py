"""Provider pages: list (filter, CSV), a provider, its forms, contracts in a zone, capacity."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Role
from core import clock
from core.formats import date_text
from core.pages import paginate, wants_csv
from core.permissions import MARKET_MANAGERS, has_role, require_role
from core.tables import Column, table_csv
from zones.audit import object_changes, recent_changes
from zones.permissions import MARKET_READERS, zones_for

from . import selectors, services
from .filters import CapacityFilter, ProviderFilter, RateFilter
from .forms import (
    CapacityForm,
    CapacityGridForm,
    ContractEditForm,
    ContractForm,
    GridProviderForm,
    ProviderForm,
    RateForm,
    weeks_ahead,
)
from .permissions import (
    CAPACITY_DECLARERS,
    capacity_for,
    contracts_for,
    providers_for,
    rates_for,
)
from .rates import with_rate_today

PROVIDER_COLUMNS = [
    Column("code", lambda p: p.code),
    Column("name", lambda p: p.name),
    Column("cqc_location_id", lambda p: p.cqc_location_id),
    Column("cqc_rating", lambda p: p.cqc_rating),
    Column("status", lambda p: p.status),
    Column("lot", lambda p: p.lot),
    Column("weekly_hours_cap", lambda p: p.weekly_hours_cap),
    Column("hourly_rate", lambda p: p.hourly_rate),
    Column("zones", lambda p: p.zone_count),
    Column("contact_email", lambda p: p.contact_email),
    Column("supplier_reference", lambda p: p.supplier_reference),
]
RATE_COLUMNS = [
    Column("provider", lambda r: r.provider.code),
    Column("zone", lambda r: r.zone.code if r.zone_id else "every zone"),
    Column("hourly_rate", lambda r: r.hourly_rate),
    Column("effective_from", lambda r: r.effective_from),
    Column("added_at", lambda r: r.created_at),
]
CAPACITY_COLUMNS = [
    Column("provider", lambda c: c.provider.code),
    Column("zone", lambda c: c.zone.code),
    Column("week_start", lambda c: c.week_start),
    Column("hours", lambda c: c.hours),
    Column("remaining_hours", lambda c: c.remaining_hours),
    Column("declared_at", lambda c: c.declared_at),
]


@login_required
def provider_list(request):
    require_role(request.user, *MARKET_READERS)
    filters = ProviderFilter(request.GET, queryset=providers_for(request.user))
    providers = selectors.provider_list(filters.qs)
    if wants_csv(request):
        return table_csv("providers", PROVIDER_COLUMNS, providers)
    page, query = paginate(request, providers)
    return render(
        request,
        "providers/provider_list.html",
        {
            "filters": filters,
            "page": page,
            "query": query,
            "can_manage": has_role(request.user, *MARKET_MANAGERS),
        },
    )


@login_required
def provider_detail(request, code):
    require_role(request.user, *MARKET_READERS, Role.PROVIDER)
    provider = get_object_or_404(with_rate_today(providers_for(request.user)), code=code)
    return render(
        request,
        "providers/provider_detail.html",
        {
            "provider": provider,
            "contracts": selectors.contracts_in_order(provider.contracts.all()),
            "capacity": selectors.recent_and_coming_capacity(provider),
            "this_week": clock.week_start(clock.today()),
            "changes": recent_changes(tag="provider", code=provider.code),
            "can_manage": has_role(request.user, *MARKET_MANAGERS),
            "can_open_zones": has_role(request.user, *MARKET_READERS),
        },
    )


@login_required
def provider_create(request):
    require_role(request.user, *MARKET_MANAGERS)
    form = ProviderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        provider = form.save(by=request.user)
        if provider is not None:
            messages.success(request, f"Provider {provider.name} added.")
            return redirect("providers:detail", code=provider.code)
    return render(request, "providers/provider_form.html", {"form": form, "provider": None})


@login_required
def provider_edit(request, code):
    require_role(request.user, *MARKET_MANAGERS)
    provider = get_object_or_404(with_rate_today(providers_for(request.user)), code=code)
    form = ProviderForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        saved = form.save(by=request.user)
        if saved is not None:
            messages.success(request, f"Provider {saved.name} saved.")
            return redirect("providers:detail", code=saved.code)
    return render(request, "providers/provider_form.html", {"form": form, "provider": provider})


@login_required
def contract_add(request, zone):
    """Add a provider to a zone; the zone's page holds this form, errors come back here."""
    require_role(request.user, *MARKET_MANAGERS)
    zone = get_object_or_404(zones_for(request.user), code=zone)
    form = ContractForm(request.POST or None, zone=zone)
    if request.method == "POST" and form.is_valid():
        contract = form.save(by=request.user)
        if contract is not None:
            messages.success(
                request, f"{contract.provider.name} added to {zone.name} as {contract.role}."
            )
            return redirect("zones:detail", code=zone.code)
    return render(request, "providers/contract_form.html", {"form": form, "zone": zone})


@login_required
def contract_edit(request, pk):
    """Change a contract's role, share, dates or guaranteed hours; its history below."""
    require_role(request.user, *MARKET_MANAGERS)
    contract = get_object_or_404(
        contracts_for(request.user).select_related("zone", "provider"), pk=pk
    )
    form = ContractEditForm(request.POST or None, contract=contract)
    if request.method == "POST" and form.is_valid():
        saved = form.save(by=request.user)
        if saved is not None:
            messages.success(
                request, f"{saved.provider.name}'s contract in {saved.zone.name} saved."
            )
            return redirect("zones:detail", code=saved.zone.code)
    return render(
        request,
        "providers/contract_edit.html",
        {"form": form, "contract": contract, "changes": object_changes(contract)},
    )


@login_required
def rates(request):
    """Rates over time and per zone, newest first; commissioners add them here."""
    require_role(request.user, *MARKET_READERS, Role.PROVIDER)
    can_manage = has_role(request.user, *MARKET_MANAGERS)
    form = RateForm(request.POST or None, user=request.user) if can_manage else None
    if request.method == "POST":
        require_role(request.user, *MARKET_MANAGERS)
        if form.is_valid() and (result := form.save(by=request.user)) is not None:
            rate, _ = result
            where = rate.zone.name if rate.zone_id else "every zone"
            messages.success(
                request,
                f"{rate.provider.name}: £{rate.hourly_rate} an hour in {where} "
                f"from {date_text(rate.effective_from)}.",
            )
            return redirect("providers:rates")
    filters = RateFilter(request.GET, queryset=rates_for(request.user))
    history = selectors.rate_history(filters.qs)
    if wants_csv(request):
        return table_csv("rates", RATE_COLUMNS, history)
    page, query = paginate(request, history)
    return render(
        request,
        "providers/rate_list.html",
        {"form": form, "filters": filters, "page": page, "query": query, "today": clock.today()},
    )


@login_required
def contract_remove(request, pk):
    require_role(request.user, *MARKET_MANAGERS)
    contract = get_object_or_404(
        contracts_for(request.user).select_related("zone", "provider"), pk=pk
    )
    if request.method == "POST":
        services.remove_contract(contract_id=contract.pk, by=request.user)
        messages.success(
            request, f"{contract.provider.name} no longer has a contract in {contract.zone.name}."
        )
        return redirect("zones:detail", code=contract.zone.code)
    return render(request, "providers/contract_remove.html", {"contract": contract})


@login_required
def capacity(request):
    """The provider portal's capacity page; staff see every provider's declarations."""
    require_role(request.user, *MARKET_READERS, Role.PROVIDER)
    can_declare = has_role(request.user, *CAPACITY_DECLARERS)
    form = CapacityForm(request.POST or None, user=request.user) if can_declare else None
    if request.method == "POST":
        require_role(request.user, *CAPACITY_DECLARERS)
        if form.is_valid():
            result = form.save(by=request.user)
            if result is not None:
                declared, _ = result
                messages.success(
                    request,
                    f"{declared.provider.name}: {declared.hours.normalize():f} spare hours in "
                    f"{declared.zone.name} in the week starting {date_text(declared.week_start)}.",
                )
                return redirect("providers:capacity")
    filters = CapacityFilter(request.GET, queryset=capacity_for(request.user))
    declarations = selectors.capacity_list(filters.qs)
    if wants_csv(request):
        return table_csv("capacity", CAPACITY_COLUMNS, declarations)
    page, query = paginate(request, declarations)
    return render(
        request,
        "providers/capacity_list.html",
        {"form": form, "filters": filters, "page": page, "query": query},
    )


@login_required
def capacity_grid(request):
    """Spare hours for every zone a provider works in and the coming weeks, on one form.
    A provider user declares for its own organisation; staff choose the provider first."""
    require_role(request.user, *CAPACITY_DECLARERS)
    chooser = None
    if request.user.role == Role.PROVIDER:
        provider = request.user.provider
    else:
        chooser = GridProviderForm(request.GET or None, user=request.user)
        provider = chooser.cleaned_data["provider"] if chooser.is_valid() else None
    context = {"chooser": chooser, "provider": provider, "form": None}
    if provider is not None:
        weeks = weeks_ahead()
        zones, declared = selectors.capacity_grid(provider, weeks)
        form = CapacityGridForm(request.POST or None, zones=zones, weeks=weeks, declared=declared)
        if request.method == "POST" and form.is_valid():
            count = form.save(by=request.user, provider=provider)
            if count is not None:
                messages.success(request, _declared_message(provider, count))
                return redirect(request.get_full_path())
        context |= {"form": form, "weeks": weeks}
    return render(request, "providers/capacity_grid.html", context)


def _declared_message(provider, count) -> str:
    if not count:
        return f"Nothing changed: {provider.name}'s spare hours are as they were."
    return f"{provider.name}: {count} figure{'s' if count != 1 else ''} of spare hours declared."
