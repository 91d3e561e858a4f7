"""A package's page and its actions: submit, cancel, end, hand back.

The page writes the view of the person to the access log.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role
from core import clock, fresh, panels
from core.formats import date_text
from core.permissions import has_role, require_role

from .. import selectors, services
from ..forms import (
    EndForm,
    HandBackForm,
    ReasonForm,
)
from ..models import PackageStatus, PackageVersion
from ..permissions import (
    HAND_BACK_ROLES,
    PACKAGE_READERS,
    PACKAGE_WRITERS,
    packages_for,
)
from .common import error_summary, package_or_404, refusal_as_message


@login_required
def package_detail(request, pk):
    """The package page, reused while nothing it shows has changed (core.fresh); a 404 is
    never kept, and each request, rendered or not, is a view of the person's record."""
    require_role(request.user, *PACKAGE_READERS, Role.PROVIDER)

    def render_page():
        package = package_or_404(request, pk)
        return _page(request, package), package.person_id

    response, person_id = fresh.page(request, render_page)
    _log_view(request, person_id)
    return response


def _detail(request, package, status=200, **forms_):
    """The package page with bound action forms (`forms_`) showing their errors."""
    _log_view(request, package.person_id)
    return _page(request, package, status, **forms_)


def _log_view(request, person_id):
    services.log_person_access(
        person_id=person_id, user=request.user, request_or_ip=request, via=request.path
    )


def _page(request, package, status=200, **forms_):
    user = request.user
    is_writer = has_role(user, *PACKAGE_WRITERS)
    context = {
        "package": package,
        "grid": selectors.visit_grid(package.current_visits),
        "others": selectors.other_packages_of(package.person_id, packages_for(user), package.pk),
        "can_submit": is_writer and package.allows("submit"),
        "can_cancel": is_writer and package.allows("cancel"),
        "can_end": is_writer and package.allows("end"),
        "can_review": is_writer and package.status == PackageStatus.PLACED,
        "can_ask_review": has_role(user, *HAND_BACK_ROLES)
        and package.status == PackageStatus.PLACED,
        "reviews": package.reviews.all(),
        "ask_review_form": forms_.get("ask_review_form") or ReasonForm(prefix="ask_review"),
        "can_hand_back": has_role(user, *HAND_BACK_ROLES)
        and package.allows("hand_back")
        and not package.under_notice,
        "can_edit": is_writer and package.status in (PackageStatus.DRAFT, PackageStatus.OPEN),
        "can_change": is_writer and package.status == PackageStatus.PLACED,
        "versions": sorted(package.versions.all(), key=PackageVersion.in_force_order),
        "current": package.current_version,
        "today": clock.today(),
        "cancel_form": forms_.get("cancel_form") or ReasonForm(prefix="cancel"),
        "end_form": forms_.get("end_form") or EndForm(prefix="end"),
        "hand_back_form": forms_.get("hand_back_form") or HandBackForm(prefix="hand_back"),
        "errors": error_summary(*forms_.values()),
        **_live_parts(request, package),
    }
    return render(request, "packages/package_detail.html", context, status=status)


@login_required
def package_live(request, pk):
    """The parts of the package page that brokering changes (its offers, the timeline),
    which the page fetches again every few seconds while brokering runs (htmx), reused
    while nothing they show has changed (core.fresh). They show no identity of the
    person, so a refresh is not another view of the record: opening the page was logged."""
    require_role(request.user, *PACKAGE_READERS, Role.PROVIDER)

    def render_live():
        package = package_or_404(request, pk)
        context = _live_parts(request, package)
        return render(request, "packages/includes/package_live.html", context), None

    return fresh.page(request, render_live)[0]


def _live_parts(request, package):
    return {
        "package": package,
        "events": selectors.timeline_for(package, request.user),
        "panels": panels.rendered("package", request, package),
        "brokering": package.status == PackageStatus.OPEN and not package.escalated,
        "now": clock.now(),
    }


@login_required
@require_POST
def package_submit(request, pk):
    require_role(request.user, *PACKAGE_WRITERS)
    package = package_or_404(request, pk)
    with refusal_as_message(request):
        services.submit_package(package_id=package.pk, by=request.user)
        messages.success(request, f"Package {pk} submitted for brokering")
    return redirect("packages:detail", pk=pk)


@login_required
@require_POST
def package_cancel(request, pk):
    require_role(request.user, *PACKAGE_WRITERS)
    package = package_or_404(request, pk)
    form = ReasonForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return _detail(request, package, status=400, cancel_form=form)
    with refusal_as_message(request):
        services.cancel_package(
            package_id=package.pk, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"Package {pk} cancelled")
    return redirect("packages:detail", pk=pk)


@login_required
@require_POST
def package_end(request, pk):
    require_role(request.user, *PACKAGE_WRITERS)
    package = package_or_404(request, pk)
    form = EndForm(request.POST, prefix="end")
    if form.is_valid():
        with refusal_as_message(request):
            try:
                services.end_package(
                    package_id=package.pk, by=request.user, ended_on=form.cleaned_data["ended_on"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Package {pk} ended")
    if form.errors:
        return _detail(request, package, status=400, end_form=form)
    return redirect("packages:detail", pk=pk)


@login_required
@require_POST
def package_hand_back(request, pk):
    require_role(request.user, *HAND_BACK_ROLES)
    package = package_or_404(request, pk)
    form = HandBackForm(request.POST, prefix="hand_back")
    if form.is_valid():
        with refusal_as_message(request):
            try:
                services.hand_back_package(
                    package_id=package.pk,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    last_day=form.cleaned_data["last_day"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _handed_back(pk, form.cleaned_data["last_day"]))
    if form.errors:
        return _detail(request, package, status=400, hand_back_form=form)
    if packages_for(request.user).filter(pk=pk).exists():
        return redirect("packages:detail", pk=pk)
    # Handed back, a provider no longer sees the package.
    return redirect("packages:provider_list")


@login_required
@require_POST
def package_ask_review(request, pk):
    """The provider caring for the package asks for a review, with a reason."""
    require_role(request.user, *HAND_BACK_ROLES)
    package = package_or_404(request, pk)
    form = ReasonForm(request.POST, prefix="ask_review")
    if form.is_valid():
        with refusal_as_message(request):
            services.ask_for_review(
                by=request.user, package_id=package.pk, reason=form.cleaned_data["reason"]
            )
            messages.success(request, "The brokers have been asked for a review")
        return redirect("packages:detail", pk=pk)
    return _detail(request, package, status=400, ask_review_form=form)


def _handed_back(pk, last_day) -> str:
    if last_day is None:
        return f"Package {pk} handed back: brokering starts again"
    return (
        f"Package {pk} handed back: you care for it until {date_text(last_day)}, "
        "while brokering finds the next provider"
    )
