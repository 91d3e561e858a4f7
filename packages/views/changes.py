"""Changing a package: a draft or an open package edited, a placed one changed from a date."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from core import clock
from core.formats import date_text
from core.permissions import require_role

from .. import services
from ..forms import (
    ChangeForm,
    FlexiblePlanForm,
    OpenPackageForm,
    PersonForm,
    ReferralForm,
    VisitFormSet,
    schedule_initial,
)
from ..models import PERSON_IDENTITY, PackageStatus
from ..permissions import PACKAGE_WRITERS
from .common import error_summary, package_or_404, show_refusal, weekly_hours

REFERRAL_FIELDS = (
    "source",
    "hospital_ready_on",
    "priority",
    "start_date",
    "needs",
    "referrer_name",
    "referrer_organisation",
    "referrer_phone",
    "preferences",
    "goals",
)


@login_required
def package_change(request, pk):
    """A placed package's visits from a date: the form starts from its latest visits."""
    require_role(request.user, *PACKAGE_WRITERS)
    package = package_or_404(request, pk)
    if package.status != PackageStatus.PLACED:
        messages.error(request, f"Package {pk} is not placed: edit it instead.")
        return redirect("packages:detail", pk=pk)
    data = request.POST if request.method == "POST" else None
    # From the visits as every change already made leaves them: a change after one still
    # to come builds on it rather than silently undoing it.
    latest = package.version_on(datetime.date.max)
    visits, plan = schedule_initial(latest)
    change_form = ChangeForm(data, prefix="change")
    visit_formset = VisitFormSet(data, prefix="visits", initial=visits)
    plan_form = FlexiblePlanForm(data, prefix="plan", initial=plan)
    forms_ = [change_form, visit_formset, plan_form]
    if data is not None and all([form.is_valid() for form in forms_]):
        try:
            version = services.change_package(
                by=request.user,
                package_id=package.pk,
                visits=visit_formset.visits(),
                flexible_plan=plan_form.plan(),
                **change_form.cleaned_data,
            )
        except ValidationError as error:
            show_refusal(error, [change_form, plan_form], formset=visit_formset)
        else:
            messages.success(
                request,
                f"Package {pk} changes from {date_text(version.effective_from)}: "
                "its provider has been told",
            )
            return redirect(reverse("packages:detail", args=[pk]) + "#versions")
    return render(
        request,
        "packages/package_change.html",
        {
            "package": package,
            "change_form": change_form,
            "visit_formset": visit_formset,
            "plan_form": plan_form,
            "errors": error_summary(change_form, plan_form, formset=visit_formset),
            "weekly_hours": weekly_hours(visit_formset) or latest.weekly_hours,
            "builds_on": latest
            if latest.effective_from and latest.effective_from > clock.today()
            else None,
        },
    )


@login_required
def package_edit(request, pk):
    """A draft (every part of the referral) or an open package (what its offers show)."""
    require_role(request.user, *PACKAGE_WRITERS)
    package = package_or_404(request, pk)
    if package.status not in (PackageStatus.DRAFT, PackageStatus.OPEN):
        messages.error(request, f"Package {pk} is {package.get_status_display().lower()}.")
        return redirect("packages:detail", pk=pk)
    forms_ = _edit_forms(request, package)
    if request.method == "POST" and all([form.is_valid() for form in forms_.values()]):
        changes = _changes(forms_)
        if not changes:
            messages.info(request, "Nothing was changed")
            return redirect("packages:detail", pk=pk)
        try:
            services.edit_package(
                by=request.user,
                package_id=package.pk,
                changes=changes,
                update_person=_confirmed(forms_),
            )
        except ValidationError as error:
            named = [f for key, f in forms_.items() if key != "visit_formset"]
            person_form = forms_.get("person_form")
            show_refusal(error, named, formset=forms_["visit_formset"], person_form=person_form)
        else:
            messages.success(
                request,
                f"Package {pk} changed: its offers go out again as it is now"
                if package.status == PackageStatus.OPEN
                else f"Draft {pk} saved",
            )
            return redirect("packages:detail", pk=pk)
    return render(
        request,
        "packages/package_edit.html",
        {
            "package": package,
            **forms_,
            "errors": error_summary(
                *(f for key, f in forms_.items() if key != "visit_formset"),
                formset=forms_["visit_formset"],
            ),
            "weekly_hours": weekly_hours(forms_["visit_formset"])
            or package.current_version.weekly_hours,
        },
    )


def _edit_forms(request, package) -> dict:
    """The forms of the edit page, bound to the POST or showing the package as it is."""
    data = request.POST if request.method == "POST" else None
    visits, plan = schedule_initial(package.current_version)
    forms_ = {}
    if package.status == PackageStatus.DRAFT:
        person = {field: getattr(package.person, field) for field in PERSON_IDENTITY}
        person |= {
            "phone": package.person.phone,
            "next_of_kin": package.person.next_of_kin_text,
            "access_notes": package.person.access_notes,
        }
        forms_["person_form"] = PersonForm(data, user=request.user, initial=person)
        referral = {field: getattr(package, field) for field in REFERRAL_FIELDS}
        forms_["referral_form"] = ReferralForm(data, initial=referral)
    else:
        fields = {field: getattr(package, field) for field in OpenPackageForm.base_fields}
        forms_["referral_form"] = OpenPackageForm(data, initial=fields)
    forms_["visit_formset"] = VisitFormSet(data, prefix="visits", initial=visits)
    forms_["plan_form"] = FlexiblePlanForm(data, prefix="plan", initial=plan)
    return forms_


def _changes(forms_) -> dict:
    """What the broker changed: the fields that differ from the package as it was shown."""
    referral = forms_["referral_form"]
    shaped = referral.referral() if hasattr(referral, "referral") else referral.cleaned_data
    changes = {field: shaped[field] for field in referral.changed_data if field in shaped}
    if set(referral.changed_data) & set(ReferralForm.REFERRER):
        changes["referrer"] = shaped["referrer"]
    person_form = forms_.get("person_form")
    if person_form is not None:
        person = {
            field: person_form.cleaned_data[field]
            for field in person_form.changed_data
            if field != "update_person"
        }
        if person:
            changes["person"] = person
    if forms_["visit_formset"].has_changed():
        changes["visits"] = forms_["visit_formset"].visits()
    if forms_["plan_form"].has_changed():
        changes["flexible_plan"] = forms_["plan_form"].plan()
    return changes


def _confirmed(forms_) -> bool:
    person_form = forms_.get("person_form")
    return bool(person_form and person_form.cleaned_data.get("update_person"))
