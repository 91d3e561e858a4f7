"""Zone pages: the list (filter, CSV), a zone, create and edit forms, the postcode lookup."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render

from accounts.models import Role
from core import panels
from core.pages import paginate, wants_csv
from core.permissions import MARKET_MANAGERS, has_role, require_role
from core.tables import Column, table_csv

from . import selectors
from .audit import recent_changes
from .filters import ZoneFilter
from .forms import PostcodeLookupForm, ZoneForm
from .permissions import MARKET_READERS, zones_for
from .postcodes import normalise_postcode

COLUMNS = [
    Column("code", lambda z: z.code),
    Column("name", lambda z: z.name),
    Column("postcode_districts", lambda z: " ".join(z.postcode_districts)),
    Column("allocation_mode", lambda z: z.allocation_mode),
    Column("offer_window_minutes", lambda z: z.offer_window_minutes),
    Column("urgent_offer_window_minutes", lambda z: z.urgent_offer_window_minutes),
    Column("rotation_weeks", lambda z: z.rotation_weeks),
    Column("providers", lambda z: z.provider_count),
]


@login_required
def zone_list(request):
    require_role(request.user, *MARKET_READERS)
    filters = ZoneFilter(request.GET, queryset=zones_for(request.user))
    zones = selectors.zone_list(filters.qs)
    if wants_csv(request):
        return table_csv("zones", COLUMNS, zones)
    page, query = paginate(request, zones)
    return render(
        request,
        "zones/zone_list.html",
        {
            "filters": filters,
            "page": page,
            "query": query,
            "lookup_form": PostcodeLookupForm(),
            "can_manage": has_role(request.user, *MARKET_MANAGERS),
        },
    )


@login_required
def zone_detail(request, code):
    require_role(request.user, *MARKET_READERS)
    zone = get_object_or_404(selectors.with_districts(zones_for(request.user)), code=code)
    return render(
        request,
        "zones/zone_detail.html",
        {
            "zone": zone,
            "changes": recent_changes(tag="zone", code=zone.code),
            "can_manage": has_role(request.user, *MARKET_MANAGERS),
            "panels": panels.rendered("zone", request, zone),
        },
    )


@login_required
def zone_create(request):
    require_role(request.user, *MARKET_MANAGERS)
    form = ZoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        zone = form.save(by=request.user)
        if zone is not None:
            messages.success(request, f"Zone {zone.name} created.")
            return redirect("zones:detail", code=zone.code)
    return render(request, "zones/zone_form.html", {"form": form, "zone": None})


@login_required
def zone_edit(request, code):
    require_role(request.user, *MARKET_MANAGERS)
    zone = get_object_or_404(selectors.with_districts(zones_for(request.user)), code=code)
    form = ZoneForm(request.POST or None, zone=zone)
    if request.method == "POST" and form.is_valid():
        saved = form.save(by=request.user)
        if saved is not None:
            messages.success(request, f"Zone {saved.name} saved.")
            return redirect("zones:detail", code=saved.code)
    return render(request, "zones/zone_form.html", {"form": form, "zone": zone})


@login_required
def postcode_lookup(request):
    """Which zone covers a postcode: for everyone who signs in, providers included."""
    require_role(request.user, *MARKET_READERS, Role.PROVIDER)
    form = PostcodeLookupForm(request.GET or None)
    zone = postcode = None
    if form.is_valid():
        try:
            zone = selectors.zone_for_postcode(form.cleaned_data["postcode"])
            postcode = normalise_postcode(form.cleaned_data["postcode"])
        except selectors.PostcodeNotCovered as error:
            form.add_error("postcode", error.messages[0])
        except ValidationError as error:
            form.add_error("postcode", error)
    return render(
        request,
        "zones/postcode_lookup.html",
        {
            "form": form,
            "zone": zone,
            "postcode": postcode,
            "can_open_zone": has_role(request.user, *MARKET_READERS),
        },
    )
