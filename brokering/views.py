"""Pages: the provider portal's offers and the broker's actions on a package's offers."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core import clock, fresh
from core.errors import Conflict
from core.pages import paginate, wants_csv
from core.permissions import require_role
from core.tables import Column, table_csv
from packages.permissions import packages_for

from . import eligibility, selectors, services
from .filters import OfferFilter
from .forms import AssignForm, DeclineForm
from .models import OfferStatus
from .permissions import ANSWERING_ROLES, BROKERING_ROLES, offers_for

OFFER_COLUMNS = [
    Column("Offer", lambda offer: offer.pk),
    Column("Package", lambda offer: offer.package_id),
    Column("Provider", lambda offer: offer.provider.code),
    Column("Status", lambda offer: offer.get_status_display()),
    Column("Zone", lambda offer: offer.package.zone.code),
    Column("District", lambda offer: offer.package.person.postcode_district),
    Column("Weekly hours", lambda offer: offer.package.weekly_hours),
    Column("Start date", lambda offer: offer.package.start_date),
    Column("Priority", lambda offer: offer.package.get_priority_display()),
    Column("Sent at", lambda offer: offer.sent_at),
    Column("Expires at", lambda offer: offer.expires_at),
]


def package_page_url(package_id) -> str:
    return reverse("packages:detail", args=[package_id])


# --- The provider portal --------------------------------------------------


@login_required
def portal_offers(request):
    """The provider's offers, or their rows (htmx, every few seconds), reused while nothing
    they show has changed (core.fresh)."""
    require_role(request.user, *ANSWERING_ROLES)
    if wants_csv(request):
        return _offers_csv(_filtered_offers(request)[1])
    return fresh.page(request, lambda: (_offers_page(request), None))[0]


def _filtered_offers(request):
    data = request.GET.copy()
    data.setdefault("status", OfferStatus.PENDING)
    offer_filter = OfferFilter(data, queryset=selectors.with_summary(offers_for(request.user)))
    return offer_filter, offer_filter.qs.order_by("expires_at", "pk")


def _offers_page(request):
    offer_filter, offers = _filtered_offers(request)
    page, _ = paginate(request, offers)
    rows = [(offer, selectors.offer_summary(offer)) for offer in page]
    context = {
        "filter": offer_filter,
        "page": page,
        "rows": rows,
        "gone": _gone(request, {offer.pk for offer in page}),
        "now": clock.now(),
    }
    template = "brokering/offer_list_rows.html" if request.htmx else "brokering/offer_list.html"
    return render(request, template, context)


def _gone(request, still_shown):
    """Offers the provider was looking at (the live list sends their ids) that are no longer
    pending: they vanish from the list with a sentence saying why."""
    ids = request.GET.get("shown", "").split(",")
    shown = {int(i) for i in ids if i.isdigit() and len(i) < 19}  # a bigint at most
    if not shown - still_shown:
        return []
    return list(
        offers_for(request.user)
        .filter(pk__in=shown - still_shown)
        .exclude(status=OfferStatus.PENDING)
        .order_by("pk")
    )


def _offers_csv(offers):
    return table_csv("offers", OFFER_COLUMNS, offers)


def _visible_offer(request, pk):
    require_role(request.user, *ANSWERING_ROLES)
    return get_object_or_404(selectors.with_summary(offers_for(request.user)), pk=pk)


@login_required
def portal_offer(request, pk):
    offer = _visible_offer(request, pk)
    context = {"offer": offer, "summary": selectors.offer_summary(offer), "now": clock.now()}
    return render(request, "brokering/offer_detail.html", context)


@login_required
@require_POST
def offer_accept(request, pk):
    offer = _visible_offer(request, pk)
    try:
        services.accept_offer(offer_id=offer.pk, by=request.user)
    except Conflict as exc:
        messages.info(request, f"Package {offer.package_id}: {exc}")
        return redirect("brokering:portal_offers")
    messages.success(request, f"You accepted package {offer.package_id}. It is now yours.")
    return redirect(package_page_url(offer.package_id))


@login_required
def offer_decline(request, pk):
    offer = _visible_offer(request, pk)
    form = DeclineForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline_offer(
                offer_id=offer.pk,
                by=request.user,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
            )
        except Conflict as exc:
            messages.info(request, f"Package {offer.package_id}: {exc}")
            return redirect("brokering:portal_offers")
        messages.success(request, f"You declined the offer of package {offer.package_id}.")
        return redirect("brokering:portal_offers")
    context = {"offer": offer, "summary": selectors.offer_summary(offer), "form": form}
    return render(request, "brokering/offer_decline.html", context)


# --- The broker's actions on a package ------------------------------------


def _broker_package(request, pk):
    require_role(request.user, *BROKERING_ROLES)
    return get_object_or_404(packages_for(request.user).select_related("zone"), pk=pk)


@login_required
def package_assign(request, pk):
    """Place by hand, choosing from the providers ranked for this package with their facts."""
    package = _broker_package(request, pk)
    form = AssignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assign_package(
                package_id=package.pk,
                provider=form.cleaned_data["provider"],
                by=request.user,
                reason=form.cleaned_data["reason"],
                override_reason=form.cleaned_data["override_reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except Conflict as exc:
            messages.info(request, str(exc))
            return redirect(package_page_url(package.pk))
        else:
            provider = form.cleaned_data["provider"]
            messages.success(request, f"Package {package.pk} is placed with {provider.name}.")
            return redirect(package_page_url(package.pk))
    context = {
        "package": package,
        "form": form,
        "ranked": eligibility.ranked_for_placing(package),
        "chosen": form["provider"].value(),
    }
    return render(request, "brokering/package_assign.html", context)


@login_required
@require_POST
def package_withdraw(request, pk):
    package = _broker_package(request, pk)
    try:
        count = services.withdraw_offers(package_id=package.pk, by=request.user)
    except Conflict as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"{count} pending offer(s) withdrawn; brokering moves on.")
    return redirect(package_page_url(package.pk))


@login_required
@require_POST
def package_rebroker(request, pk):
    package = _broker_package(request, pk)
    try:
        services.rebroker_package(package_id=package.pk, by=request.user)
    except Conflict as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"Package {package.pk} is being brokered again.")
    return redirect(package_page_url(package.pk))
