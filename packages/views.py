"""Package pages: record a referral, the worklist, the lists, a package and its actions.

Every page that shows a person's identity writes to the access log.
"""

from contextlib import contextmanager

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Role
from core import clock, panels
from core.errors import Conflict
from core.forms import error_summary_entries
from core.pages import paginate, wants_csv
from core.permissions import has_role, may_broker_zone, require_role
from core.tables import Column, table_csv
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from . import selectors, services, validation
from .filters import PackageFilter
from .forms import (
    EndForm,
    FlexiblePlanForm,
    PersonForm,
    ReasonForm,
    ReferralForm,
    VisitFormSet,
)
from .models import Package, PackageStatus, Person
from .nhs import normalise_nhs_number
from .permissions import (
    HAND_BACK_ROLES,
    PACKAGE_READERS,
    PACKAGE_WRITERS,
    packages_for,
    people_for,
)


def _iso(moment):
    return timezone.localtime(moment).isoformat(timespec="minutes") if moment else ""


# Each CSV column: its header and how to read it from a package.
LIST_COLUMNS = [
    Column("id", lambda p: p.pk),
    Column("status", lambda p: p.status),
    Column("zone", lambda p: p.zone.code),
    Column("postcode_district", lambda p: p.person.postcode_district),
    Column("source", lambda p: p.source),
    Column("priority", lambda p: p.priority),
    Column("start_date", lambda p: p.start_date),
    Column("weekly_hours", lambda p: p.weekly_hours),
    Column("provider", lambda p: p.provider.code if p.provider else ""),
    Column("escalated", lambda p: "yes" if p.escalated else "no"),
    Column("submitted_at", lambda p: _iso(p.submitted_at)),
    Column("placed_at", lambda p: _iso(p.placed_at)),
]
WORKLIST_COLUMNS = [
    *LIST_COLUMNS[:1],
    *LIST_COLUMNS[2:8],
    Column("waiting_since", lambda p: _iso(p.waiting_from)),
    Column("waiting_minutes", lambda p: int((clock.now() - p.waiting_from).total_seconds() // 60)),
    Column("escalated", lambda p: "yes" if p.escalated else "no"),
    Column("hospital_ready_on", lambda p: p.hospital_ready_on or ""),
]
# A provider's own packages carry the people's identity (and are logged).
PROVIDER_COLUMNS = [
    *LIST_COLUMNS[:2],
    Column("nhs_number", lambda p: p.person.nhs_number),
    Column("name", lambda p: p.person.full_name),
    Column("date_of_birth", lambda p: p.person.date_of_birth),
    Column("address", lambda p: p.person.address_line),
    Column("postcode", lambda p: p.person.postcode),
    *LIST_COLUMNS[2:3],
    *LIST_COLUMNS[6:8],
    Column("placed_at", lambda p: _iso(p.placed_at)),
    Column("ended_on", lambda p: p.ended_on or ""),
]


def _filtered(request, packages):
    filters = PackageFilter(request.GET, queryset=packages, request=request)
    return filters, filters.qs


# --- lists ---------------------------------------------------------------------


@login_required
def worklist(request):
    """Open packages, urgent first, then longest waiting; the table refreshes itself."""
    require_role(request.user, *PACKAGE_WRITERS)
    filters, packages = _filtered(request, packages_for(request.user))
    packages = selectors.worklist(packages).select_related("person")
    if wants_csv(request):
        return table_csv("worklist", WORKLIST_COLUMNS, packages)
    page, _ = paginate(request, packages)
    template = "packages/package_worklist.html"
    if request.htmx:
        template = "packages/includes/worklist_table.html"
    return render(request, template, {"filters": filters, "page": page, "now": clock.now()})


@login_required
def drafts(request):
    require_role(request.user, *PACKAGE_WRITERS)
    filters, packages = _filtered(request, packages_for(request.user))
    packages = (
        packages.filter(status=PackageStatus.DRAFT)
        .select_related("zone", "person", "provider", "created_by")
        .order_by("-created_at")
    )
    if wants_csv(request):
        return table_csv("draft-packages", LIST_COLUMNS, packages)
    page, _ = paginate(request, packages)
    return render(request, "packages/package_drafts.html", {"filters": filters, "page": page})


@login_required
def package_list(request):
    require_role(request.user, *PACKAGE_READERS)
    filters, packages = _filtered(request, packages_for(request.user))
    packages = packages.select_related("zone", "person", "provider").order_by("-created_at")
    if wants_csv(request):
        return table_csv("packages", LIST_COLUMNS, packages)
    page, _ = paginate(request, packages)
    return render(
        request,
        "packages/package_list.html",
        {"filters": filters, "page": page, "can_record": has_role(request.user, *PACKAGE_WRITERS)},
    )


@login_required
def provider_list(request):
    """A provider's packages (placed with it, then ended), with the people's details."""
    require_role(request.user, Role.PROVIDER)
    packages = selectors.live_first(packages_for(request.user).select_related("zone", "person"))
    status = request.GET.get("status")
    if status in (PackageStatus.PLACED, PackageStatus.ENDED):
        packages = packages.filter(status=status)
    if wants_csv(request):
        packages = list(packages)
        _log_people(request, packages)
        return table_csv("our-packages", PROVIDER_COLUMNS, packages)
    page, _ = paginate(request, packages)
    _log_people(request, page)
    return render(request, "packages/package_provider_list.html", {"page": page, "status": status})


def _log_people(request, packages):
    services.log_people_access(
        person_ids=[package.person_id for package in packages],
        user=request.user,
        request_or_ip=request,
        via=request.path,
    )


# --- recording a referral ------------------------------------------------------


@login_required
def package_create(request):
    require_role(request.user, *PACKAGE_WRITERS)
    data = request.POST if request.method == "POST" else None
    person_form = PersonForm(data, user=request.user)
    referral_form = ReferralForm(data)
    visit_formset = VisitFormSet(data, prefix="visits")
    plan_form = FlexiblePlanForm(data, prefix="plan")
    # Every form is checked (a list, not a short-circuit) so that every problem shows at once.
    if data is not None and all(
        [form.is_valid() for form in (person_form, referral_form, visit_formset, plan_form)]
    ):
        package = _create(request, person_form, referral_form, visit_formset, plan_form)
        if package is not None:
            return redirect("packages:detail", pk=package.pk)
    return render(
        request,
        "packages/package_create.html",
        {
            "person_form": person_form,
            "referral_form": referral_form,
            "visit_formset": visit_formset,
            "plan_form": plan_form,
            "errors": _error_summary(person_form, referral_form, plan_form, formset=visit_formset),
            "weekly_hours": _weekly_hours(visit_formset),
            **_live_answers(request, person_form),
        },
    )


def _live_answers(request, person_form):
    """What htmx showed as the broker typed, for a form shown again with its errors."""
    if not person_form.is_bound:
        return {}
    answers = {}
    if "nhs_number" in person_form.cleaned_data:
        answers["known"] = _known_person(request, person_form.cleaned_data["nhs_number"])
    if "postcode" in person_form.cleaned_data:
        answers["located"] = _zone_of(request, person_form.cleaned_data["postcode"])
    return answers


def _create(request, person_form, referral_form, visit_formset, plan_form):
    """Save (and, if asked, submit) the referral in one go; None when the service refuses it."""
    submit = request.POST.get("action") == "submit"
    try:
        with transaction.atomic():
            package = services.create_package(
                by=request.user,
                person=person_form.cleaned_data,
                package=referral_form.cleaned_data,
                visits=visit_formset.visits(),
                flexible_plan=plan_form.plan(),
                update_person=person_form.cleaned_data.get("update_person", False),
            )
            if submit:
                services.submit_package(package_id=package.pk, by=request.user)
    except ValidationError as error:
        # Rules that need the person's record (same person? needs free of their identity?)
        # are the service's: each problem goes to the form with its field.
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for field, messages_ in errors.items():
            form = next((f for f in (person_form, referral_form) if field in f.fields), None)
            (form or person_form).add_error(field if form else None, messages_)
        person_form.confirm_update = isinstance(error, services.PersonDiffers) or (
            "update_person" in errors
        )
        return None
    messages.success(
        request,
        f"Package {package.pk} submitted for brokering"
        if submit
        else f"Package {package.pk} saved as a draft",
    )
    return package


def _error_summary(*forms_, formset=None):
    """The GOV.UK error summary's entries for the forms, and the visits of a formset, each
    visit's messages saying which visit they are about."""
    errors = [entry for form in forms_ for entry in error_summary_entries(form)]
    if formset is not None:
        for number, form in enumerate(formset.forms, start=1):
            # With several visits, "Enter the time of the visit" alone does not say which one.
            errors += error_summary_entries(form, lead=f"Visit {number}: ")
        errors += [{"href": "#visits", "message": m} for m in formset.non_form_errors()]
    return errors


def _weekly_hours(visit_formset):
    """The weekly carer hours of the visits as entered so far (JavaScript keeps it live)."""
    if not visit_formset.is_bound or not visit_formset.is_valid():
        return None
    return validation.weekly_carer_hours(visit_formset.visits())


@login_required
@require_POST
def zone_lookup(request):
    """htmx: the zone of the postcode being typed (POSTed, so that it never sits in a URL)."""
    require_role(request.user, *PACKAGE_WRITERS)
    raw = request.POST.get("postcode", "").strip()
    return render(request, "packages/includes/zone_lookup.html", _zone_of(request, raw))


def _zone_of(request, raw):
    context = {"raw": raw}
    if raw:
        try:
            context["zone"] = zone = zone_for_postcode(normalise_postcode(raw))
        except ValidationError as error:
            context["error"] = error.messages[0]
        else:
            context["outside"] = not may_broker_zone(request.user, zone)
    return context


@login_required
@require_POST
def person_check(request):
    """htmx: is the NHS number valid, and is the person already known (with their packages)?"""
    require_role(request.user, *PACKAGE_WRITERS)
    raw = request.POST.get("nhs_number", "")
    context = {"complete": sum(ch.isdigit() for ch in raw) >= 10}
    try:
        context.update(_known_person(request, normalise_nhs_number(raw)))
    except ValidationError as error:
        context["error"] = error.messages[0]
    return render(request, "packages/includes/person_check.html", context)


def _known_person(request, nhs_number):
    """The person with this NHS number, if the user may see them, and their packages it may see.

    Showing who they are is a view of their record, so it is logged. A person
    known only in zones a limited broker does not work in stays anonymous: the
    broker learns only that the record exists (this referral will join it).
    """
    context = {"nhs_number": nhs_number}
    person = people_for(request.user).filter(nhs_number=nhs_number).first()
    if person is None:
        context["known_elsewhere"] = Person.objects.filter(nhs_number=nhs_number).exists()
        return context
    context["person"] = person
    context["packages"] = selectors.other_packages_of(person.pk, packages_for(request.user))
    services.log_person_access(
        person_id=person.pk, user=request.user, request_or_ip=request, via=request.path
    )
    return context


# --- a package -----------------------------------------------------------------


def _package_or_404(request, pk):
    try:
        return selectors.package_page(packages_for(request.user), pk)
    except Package.DoesNotExist:
        raise Http404("No such package") from None


@login_required
def package_detail(request, pk):
    require_role(request.user, *PACKAGE_READERS, Role.PROVIDER)
    return _detail(request, _package_or_404(request, pk))


def _detail(request, package, status=200, **forms_):
    """The package page; `forms_` are bound action forms to show with their errors."""
    user = request.user
    services.log_person_access(
        person_id=package.person_id, user=user, request_or_ip=request, via=request.path
    )
    is_writer = has_role(user, *PACKAGE_WRITERS)
    context = {
        "package": package,
        "grid": selectors.visit_grid(package.current_visits),
        "events": selectors.timeline_for(package, user),
        "others": selectors.other_packages_of(package.person_id, packages_for(user), package.pk),
        "can_submit": is_writer and package.allows("submit"),
        "can_cancel": is_writer and package.allows("cancel"),
        "can_end": is_writer and package.allows("end"),
        "can_hand_back": has_role(user, *HAND_BACK_ROLES) and package.allows("hand_back"),
        "cancel_form": forms_.get("cancel_form") or ReasonForm(prefix="cancel"),
        "end_form": forms_.get("end_form") or EndForm(prefix="end"),
        "hand_back_form": forms_.get("hand_back_form") or ReasonForm(prefix="hand_back"),
        "errors": _error_summary(*forms_.values()),
        "now": clock.now(),
        "panels": panels.rendered("package", request, package),
    }
    return render(request, "packages/package_detail.html", context, status=status)


@contextmanager
def _refusal_as_message(request):
    """A transition the package's status forbids is shown as a message on its page."""
    try:
        yield
    except Conflict as conflict:
        messages.error(request, str(conflict))


@login_required
@require_POST
def package_submit(request, pk):
    require_role(request.user, *PACKAGE_WRITERS)
    package = _package_or_404(request, pk)
    with _refusal_as_message(request):
        services.submit_package(package_id=package.pk, by=request.user)
        messages.success(request, f"Package {pk} submitted for brokering")
    return redirect("packages:detail", pk=pk)


@login_required
@require_POST
def package_cancel(request, pk):
    require_role(request.user, *PACKAGE_WRITERS)
    package = _package_or_404(request, pk)
    form = ReasonForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return _detail(request, package, status=400, cancel_form=form)
    with _refusal_as_message(request):
        services.cancel_package(
            package_id=package.pk, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"Package {pk} cancelled")
    return redirect("packages:detail", pk=pk)


@login_required
@require_POST
def package_end(request, pk):
    require_role(request.user, *PACKAGE_WRITERS)
    package = _package_or_404(request, pk)
    form = EndForm(request.POST, prefix="end")
    if form.is_valid():
        with _refusal_as_message(request):
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
    package = _package_or_404(request, pk)
    form = ReasonForm(request.POST, prefix="hand_back")
    if not form.is_valid():
        return _detail(request, package, status=400, hand_back_form=form)
    with _refusal_as_message(request):
        services.hand_back_package(
            package_id=package.pk, by=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, f"Package {pk} handed back: brokering starts again")
    if packages_for(request.user).filter(pk=pk).exists():
        return redirect("packages:detail", pk=pk)
    # Handed back, a provider no longer sees the package.
    return redirect("packages:provider_list")
