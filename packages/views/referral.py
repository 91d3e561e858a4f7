"""Recording a referral: the form, and the live answers (zone, known person) as the broker types.

Every answer that shows a person's identity writes to the access log.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.permissions import may_broker_zone, require_role
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from .. import selectors, services
from ..forms import (
    FlexiblePlanForm,
    PersonForm,
    ReferralForm,
    VisitFormSet,
)
from ..models import Person
from ..nhs import normalise_nhs_number
from ..permissions import (
    PACKAGE_WRITERS,
    packages_for,
    people_for,
)
from .common import error_summary, show_refusal, weekly_hours


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
            "errors": error_summary(person_form, referral_form, plan_form, formset=visit_formset),
            "weekly_hours": weekly_hours(visit_formset),
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
                package=referral_form.referral(),
                visits=visit_formset.visits(),
                flexible_plan=plan_form.plan(),
                update_person=person_form.cleaned_data.get("update_person", False),
            )
            if submit:
                services.submit_package(package_id=package.pk, by=request.user)
    except ValidationError as error:
        # Rules that need the person's record (same person? needs free of their identity?)
        # are the service's: each problem goes to the form with its field.
        show_refusal(error, [person_form, referral_form], person_form=person_form)
        return None
    messages.success(
        request,
        f"Package {package.pk} submitted for brokering"
        if submit
        else f"Package {package.pk} saved as a draft",
    )
    return package


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
