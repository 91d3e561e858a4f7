"""Recording a referral: the form, and the live answers (zone, known person) as the broker types.

Every answer that shows a person's identity writes to the access log.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.formats import date_text, hours_text
from core.permissions import may_broker_zone, require_role
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from .. import selectors, services, validation
from ..forms import (
    FlexiblePlanForm,
    PersonForm,
    ReferralForm,
    VisitFormSet,
)
from ..models import Goal, Person, Priority, Source, visit_in_words
from ..nhs import normalise_nhs_number, spaced_nhs_number
from ..permissions import (
    PACKAGE_WRITERS,
    packages_for,
    people_for,
    referrals_in_progress_for,
)
from .common import error_summary, show_refusal, weekly_hours

# The answers a referral in progress needs before it can be saved: who it is about.
KEEP_WITH = ("nhs_number", "given_name", "family_name")
# The form's own fields, not answers: never kept.
NOT_ANSWERS = ("csrfmiddlewaretoken", "action")


@login_required
def package_create(request, pk=None):
    """The referral form, new or a referral in progress. Its buttons: "Continue" checks
    every rule (as the API's POST does) and shows the answers to check; "Save as a draft"
    records a draft package when every rule holds, and otherwise keeps the answers as a
    referral in progress, for which the NHS number and name are enough."""
    require_role(request.user, *PACKAGE_WRITERS)
    held = _held_or_404(request, pk)
    if request.method != "POST":
        forms_ = _referral_forms(request, held and _as_posted(held.answers))
        return _form_page(request, forms_, held, checked=False)
    forms_ = _referral_forms(request, request.POST)
    checked = _every_rule_holds(request, forms_)
    action = request.POST.get("action")
    if action in ("check", "submit") and checked:  # submitting is from the answers' page
        held = _hold(request, forms_, held)
        return redirect("packages:check_answers", pk=held.pk)
    if action == "draft" and checked:
        package = _record(request, forms_, held, submit=False)
        if package is not None:
            return redirect("packages:detail", pk=package.pk)
    elif action == "draft" and _kept_answers_hold(forms_["person_form"]):
        _hold(request, forms_, held)
        messages.success(request, "Referral saved: finish it from Drafts when you have the rest")
        return redirect("packages:drafts")
    elif action == "draft":
        _only_errors_of(forms_, KEEP_WITH)
    return _form_page(request, forms_, held, checked=True)


@login_required
def check_answers(request, pk):
    """GOV.UK's "check your answers": every answer, with a link back to change it, then
    submit for brokering (or save as a draft package)."""
    require_role(request.user, *PACKAGE_WRITERS)
    held = _held_or_404(request, pk)
    forms_ = _referral_forms(request, _as_posted(held.answers))
    if not _every_rule_holds(request, forms_):
        # Something changed since (a zone's districts, the person's record): say what.
        return _form_page(request, forms_, held, checked=True)
    if request.method == "POST":
        submit = request.POST.get("action") == "submit"
        package = _record(request, forms_, held, submit=submit)
        if package is not None:
            return redirect("packages:detail", pk=package.pk)
        return _form_page(request, forms_, held, checked=True)
    return render(
        request,
        "packages/package_check.html",
        {"held": held, "sections": answer_sections(forms_)},
    )


def answer_sections(forms_) -> list[dict]:
    """The answers as the check page lists them: each form section's title, the anchor of
    that section on the form (its Change link), and (question, answer) rows."""
    person = forms_["person_form"].cleaned_data
    referral = forms_["referral_form"]
    answer = referral.cleaned_data
    visits = forms_["visit_formset"].visits()
    plan = forms_["plan_form"].plan()
    labels = dict(Goal.choices)
    return [
        _section(
            "The person",
            "person",
            [
                ("NHS number", spaced_nhs_number(person["nhs_number"])),
                ("Name", f"{person['given_name']} {person['family_name']}"),
                ("Date of birth", date_text(person["date_of_birth"])),
                ("Address", f"{person['address_line']}, {person['postcode']}"),
                *(
                    [("Update their record", "Yes: this is the same person")]
                    if person.get("update_person")
                    else []
                ),
            ],
        ),
        _section(
            "Reaching them and getting in",
            "contact",
            [
                ("Phone", person["phone"]),
                ("Next of kin", person["next_of_kin"]),
                ("Getting in", person["access_notes"]),
            ],
        ),
        _section(
            "Who is referring",
            "referrer",
            [
                ("Name", answer["referrer_name"]),
                ("Organisation or ward", answer["referrer_organisation"]),
                ("Phone", answer["referrer_phone"]),
            ],
        ),
        _section(
            "The referral",
            "referral",
            [
                ("Source", Source(answer["source"]).label),
                *(
                    [("Ready to leave hospital", date_text(answer["hospital_ready_on"]))]
                    if answer.get("hospital_ready_on")
                    and answer["source"] == Source.HOSPITAL_DISCHARGE
                    else []
                ),
                ("Priority", Priority(answer["priority"]).label),
                ("Start date", date_text(answer["start_date"])),
                ("Care needs", answer["needs"]),
                ("What matters to them", answer["preferences"]),
                ("Goals", ", ".join(labels[goal] for goal in answer["goals"])),
            ],
        ),
        _section(
            "Visits each week",
            "visits",
            [
                *(
                    (f"Visit {number}", visit_in_words(**_spoken(visit)))
                    for number, visit in enumerate(visits, start=1)
                ),
                # Worked out from the visits: nothing to change here itself.
                ("Weekly carer hours", hours_text(validation.weekly_carer_hours(visits)), False),
                ("Flexible 4-week plan", _plan_text(plan)),
            ],
        ),
    ]


def _section(title, anchor, rows):
    """Each row (question, answer[, changeable]): an answer not given says so."""
    rows = [(row[0], row[1] or "Not given", row[2] if len(row) > 2 else True) for row in rows]
    return {"title": title, "anchor": anchor, "rows": rows}


def _spoken(visit) -> dict:
    return {
        "days": visit["days"],
        "time": f"{visit['time']:%H:%M}",
        "minutes": visit["duration_minutes"],
        "carers": visit["carers"],
        "purpose": visit["purpose"],
    }


def _plan_text(plan) -> str:
    if plan is None:
        return "No"
    weeks = ", ".join(hours_text(hours) for hours in plan["week_hours"])
    return f"{weeks} hours; contingency {hours_text(plan['contingency_hours'])}"


def _held_or_404(request, pk):
    if pk is None:
        return None
    return get_object_or_404(referrals_in_progress_for(request.user), pk=pk)


def _referral_forms(request, data) -> dict:
    return {
        "person_form": PersonForm(data, user=request.user),
        "referral_form": ReferralForm(data),
        "visit_formset": VisitFormSet(data, prefix="visits"),
        "plan_form": FlexiblePlanForm(data, prefix="plan"),
    }


def _form_page(request, forms_, held, *, checked):
    """The form; `checked` False shows saved answers as typed, their gaps not yet errors."""
    hours = weekly_hours(VisitFormSet(forms_["visit_formset"].data, prefix="visits"))
    if not checked:
        for form in forms_.values():
            _unjudged(form)
    errors = error_summary(
        *(form for key, form in forms_.items() if key != "visit_formset"),
        formset=forms_["visit_formset"],
    )
    return render(
        request,
        "packages/package_create.html",
        {
            "held": held,
            **forms_,
            "errors": errors,
            "weekly_hours": hours,
            **(_live_answers(request, forms_["person_form"]) if checked else {}),
        },
    )


def _unjudged(form) -> None:
    """Bound to saved answers without checking them: they show as typed, with no errors
    (Django checks a bound form when its errors are first asked for, unless already set)."""
    if isinstance(form, forms.BaseFormSet):
        form._errors, form._non_form_errors = [], form.error_class()
        for each in form.forms:
            _unjudged(each)
    elif form.is_bound:
        form._errors = ErrorDict()


def _only_errors_of(forms_, fields) -> None:
    """Only the errors of `fields` (the person form's) show: the rest may wait."""
    person_form = forms_["person_form"]
    person_form.is_valid()
    for field in [f for f in person_form.errors if f not in fields]:
        del person_form.errors[field]
    for key, form in forms_.items():
        if key != "person_form":
            _unjudged(form)


def _kept_answers_hold(person_form) -> bool:
    person_form.is_valid()
    return not set(person_form.errors) & set(KEEP_WITH)


def _every_rule_holds(request, forms_) -> bool:
    """Each form's fields, then every rule of the service (`check_referral`, as the API's
    POST): each problem shown at its field."""
    # Every form is checked (a list, not a short-circuit) so that every problem shows at once.
    if not all([form.is_valid() for form in forms_.values()]):
        return False
    try:
        services.check_referral(by=request.user, **_referral(forms_))
    except ValidationError as error:
        show_refusal(
            error,
            [forms_["person_form"], forms_["referral_form"]],
            person_form=forms_["person_form"],
        )
        return False
    return True


def _referral(forms_) -> dict:
    person_form = forms_["person_form"]
    return {
        "person": person_form.cleaned_data,
        "package": forms_["referral_form"].referral(),
        "visits": forms_["visit_formset"].visits(),
        "flexible_plan": forms_["plan_form"].plan(),
        "update_person": person_form.cleaned_data.get("update_person", False),
    }


def _hold(request, forms_, held):
    person = forms_["person_form"].cleaned_data
    answers = {key: request.POST.getlist(key) for key in request.POST if key not in NOT_ANSWERS}
    return services.hold_referral(
        by=request.user,
        answers=answers,
        referral_id=held and held.pk,
        postcode=request.POST.get("postcode", ""),
        **{field: person[field] for field in KEEP_WITH},
    )


def _as_posted(answers) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, values in answers.items():
        data.setlist(key, values)
    return data


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


def _record(request, forms_, held, *, submit):
    """Record the referral (and, if asked, submit it) in one go, its answers in progress
    dropped; None when the service refuses it."""
    try:
        with transaction.atomic():
            package = services.create_package(by=request.user, **_referral(forms_))
            if submit:
                services.submit_package(package_id=package.pk, by=request.user)
            if held is not None:
                services.drop_referral(by=request.user, referral_id=held.pk)
    except ValidationError as error:
        # Rules that need the person's record (same person? needs free of their identity?)
        # are the service's: each problem goes to the form with its field.
        show_refusal(
            error,
            [forms_["person_form"], forms_["referral_form"]],
            person_form=forms_["person_form"],
        )
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
