"""The referral form (person, package, visits, flexible plan) and the action forms of a package.

Each field is checked with the same rules (packages.validation, nhs, postcodes,
zone lookup) that the API and the service use, so that every problem shows
at its own field.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from core.forms import DateField
from core.permissions import may_broker_zone
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from . import free_text, validation
from .models import (
    DAY_NAMES,
    DAYS,
    Goal,
    GoalStatus,
    Priority,
    Purpose,
    ReviewOutcome,
    Source,
)
from .nhs import normalise_nhs_number, spaced_nhs_number
from .services import OUTSIDE_YOUR_ZONES

DAY_CHOICES = list(zip(DAYS, DAY_NAMES, strict=True))


class NhsNumberField(forms.CharField):
    """An NHS number, checked; shown again (the form with other errors) as `943 476 5919`."""

    def bound_data(self, data, initial):
        try:
            return spaced_nhs_number(normalise_nhs_number(data))
        except ValidationError:
            return data  # As typed, so that the broker sees what to correct.

    def clean(self, value):
        return normalise_nhs_number(super().clean(value))


class PersonForm(forms.Form):
    nhs_number = NhsNumberField(
        label="NHS number",
        max_length=20,
        help_text="10 digits, for example 943 476 5919",
        error_messages={"required": "Enter the NHS number"},
    )
    given_name = forms.CharField(
        label="Given name", max_length=100, error_messages={"required": "Enter the given name"}
    )
    family_name = forms.CharField(
        label="Family name", max_length=100, error_messages={"required": "Enter the family name"}
    )
    date_of_birth = DateField(label="Date of birth", help_text="For example, 17 5 1938")
    address_line = forms.CharField(
        label="Address",
        max_length=255,
        help_text="House number or name, street and town",
        error_messages={"required": "Enter the address"},
    )
    postcode = forms.CharField(
        label="Postcode", max_length=10, error_messages={"required": "Enter the postcode"}
    )
    phone = forms.CharField(label="Their phone number (optional)", max_length=30, required=False)
    next_of_kin = forms.CharField(
        label="Next of kin (optional)",
        max_length=validation.MAX_NEXT_OF_KIN,
        required=False,
        help_text="Name, relationship and phone number, for example Jane Smith, daughter, "
        "07700 900123",
    )
    access_notes = forms.CharField(
        label="Getting in (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="A key safe and its code, a door to use. Only the provider placed with "
        "the package sees it.",
    )
    # Offered once the service has found a known NHS number recorded with other details.
    update_person = forms.BooleanField(
        label="This is the same person: update their record with the details above",
        required=False,
    )

    # True once the service found a known NHS number recorded with other details: the page
    # then asks the broker to confirm the update.
    confirm_update = False

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        # As the broker types, htmx POSTs the one field (never in a URL) and shows the answer.
        for name, url, target in (
            ("nhs_number", "packages:person_check", "#nhs-check"),
            ("postcode", "packages:zone_lookup", "#postcode-zone"),
        ):
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": reverse(url),
                    "hx-trigger": "input changed delay:400ms, change",
                    "hx-target": target,
                    "hx-params": name,
                    "autocomplete": "off",
                    "spellcheck": "false",
                }
            )

    def clean_date_of_birth(self):
        validation.check_date_of_birth(self.cleaned_data["date_of_birth"])
        return self.cleaned_data["date_of_birth"]

    def clean_phone(self):
        return validation.clean_phone(self.cleaned_data["phone"])

    def clean_postcode(self):
        postcode = normalise_postcode(self.cleaned_data["postcode"])
        zone = zone_for_postcode(postcode)
        if not may_broker_zone(self.user, zone):
            raise ValidationError(OUTSIDE_YOUR_ZONES.format(zone=zone.code))
        return postcode


class ReferralForm(forms.Form):
    source = forms.ChoiceField(
        label="Where does the referral come from?",
        choices=Source.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where the referral comes from"},
    )
    hospital_ready_on = DateField(
        label="Date the person is ready to leave hospital",
        required=False,
        help_text="Every day they wait is a delayed discharge. For example, 22 11 2026",
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=Priority.choices,
        widget=forms.RadioSelect,
        initial=Priority.STANDARD,
        help_text="Urgent: hospital discharge, crisis or end of life",
    )
    start_date = DateField(
        label="Start date",
        help_text="It may be in the past when care was arranged in an emergency",
    )
    needs = forms.CharField(
        label="Care needs and skills required (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=free_text.WHAT_NOT_TO_WRITE,
    )
    referrer_name = forms.CharField(label="Their name (optional)", max_length=200, required=False)
    referrer_organisation = forms.CharField(
        label="Organisation or ward (optional)", max_length=200, required=False
    )
    referrer_phone = forms.CharField(
        label="Phone number to call back (optional)", max_length=30, required=False
    )
    preferences = forms.CharField(
        label="What matters to them about their care (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Times, carers, language, for example no visits before 8am, female carers",
    )
    goals = forms.MultipleChoiceField(
        label="What the care aims at (optional)",
        choices=Goal.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    REFERRER = {
        "referrer_name": "name",
        "referrer_organisation": "organisation",
        "referrer_phone": "phone",
    }

    def clean_referrer_phone(self):
        return validation.clean_phone(self.cleaned_data["referrer_phone"])

    def referral(self) -> dict:
        """The package's part of the referral, as the services take it."""
        data = {f: v for f, v in self.cleaned_data.items() if f not in self.REFERRER}
        if any(f in self.cleaned_data for f in self.REFERRER):
            data["referrer"] = {
                part: self.cleaned_data.get(f, "") for f, part in self.REFERRER.items()
            }
        return data

    def clean_start_date(self):
        start = self.cleaned_data["start_date"]
        validation.check_near_today(start, what="start date")
        return start

    def clean_hospital_ready_on(self):
        ready = self.cleaned_data["hospital_ready_on"]
        if ready is not None:
            validation.check_near_today(ready, what="date ready to leave")
        return ready

    def clean(self):
        data = super().clean()
        from_hospital = data.get("source") == Source.HOSPITAL_DISCHARGE
        if (
            from_hospital
            and not data.get("hospital_ready_on")
            and "hospital_ready_on" not in self.errors
        ):
            self.add_error(
                "hospital_ready_on", "Enter the date the person is ready to leave hospital"
            )
        return data


class OpenPackageForm(forms.Form):
    """What an open package still takes besides its visits: its offers go out again."""

    priority = ReferralForm.base_fields["priority"]
    start_date = ReferralForm.base_fields["start_date"]
    needs = ReferralForm.base_fields["needs"]
    clean_start_date = ReferralForm.clean_start_date


class VisitForm(forms.Form):
    days = forms.MultipleChoiceField(
        label="Days",
        choices=DAY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day for the visit"},
    )
    time = forms.TimeField(
        label="Time",
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        error_messages={"required": "Enter the time of the visit", "invalid": "Enter a real time"},
    )
    duration_minutes = forms.IntegerField(
        label="Minutes",
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={"required": "Enter how many minutes the visit lasts"},
    )
    carers = forms.TypedChoiceField(
        label="Carers",
        choices=[(1, "1"), (2, "2 (double-handed)")],
        coerce=int,
        initial=1,
        widget=forms.RadioSelect,
    )
    purpose = forms.ChoiceField(
        label="Purpose",
        choices=[("", "Choose"), *Purpose.choices],
        error_messages={"required": "Choose what the visit is for"},
    )

    def clean(self):
        data = super().clean()
        if {"days", "duration_minutes", "carers", "purpose"} <= data.keys():
            for field, messages in validation.visit_errors(data).items():
                self.add_error(field, messages)
        return data


class BaseVisitFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        validation.check_visit_count(self.visits())

    def visits(self) -> list[dict]:
        """The visits entered and not removed, as the service takes them."""
        return [
            {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


VisitFormSet = forms.formset_factory(
    VisitForm,
    formset=BaseVisitFormSet,
    extra=0,
    min_num=1,
    max_num=validation.MAX_VISITS,
    absolute_max=validation.MAX_VISITS,
    can_delete=True,
)


def _week_hours(label):
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        error_messages={"min_value": "Hours cannot be negative"},
    )


class FlexiblePlanForm(forms.Form):
    use_plan = forms.BooleanField(label="Agree a flexible 4-week plan", required=False)
    week1_hours = _week_hours("Week 1")
    week2_hours = _week_hours("Week 2")
    week3_hours = _week_hours("Week 3")
    week4_hours = _week_hours("Week 4")
    contingency_hours = _week_hours("Contingency hours")

    WEEKS = ("week1_hours", "week2_hours", "week3_hours", "week4_hours")

    def clean(self):
        data = super().clean()
        if data.get("use_plan"):
            for number, field in enumerate(self.WEEKS, start=1):
                if data.get(field) is None and field not in self.errors:
                    self.add_error(field, f"Enter the hours for week {number}")
        return data

    def plan(self) -> dict | None:
        if not self.cleaned_data.get("use_plan"):
            return None
        return {
            "week_hours": [self.cleaned_data[field] for field in self.WEEKS],
            "contingency_hours": self.cleaned_data.get("contingency_hours") or 0,
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Give a reason"},
    )


class HandBackForm(ReasonForm):
    last_day = DateField(
        label="Your last day of care",
        required=False,
        help_text=(
            "To give notice: you keep caring until this day, today to 28 days ahead, while "
            "a new provider is found. Leave empty to hand it back today. For example, 15 12 2026"
        ),
    )


class ReviewForm(forms.Form):
    """A review: when it was held, how each goal is going, what follows, the next one."""

    held_on = DateField(label="Date of the review", help_text="For example, 2 3 2026")
    outcome = forms.ChoiceField(
        label="What happens next",
        choices=ReviewOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happens next"},
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the person, their family and the provider said.",
    )
    next_review_on = DateField(
        label="Date of the next review",
        required=False,
        help_text="Leave empty for the zone's usual interval from this review.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for goal in Goal:
            self.fields[f"goal_{goal.value}"] = forms.ChoiceField(
                label=goal.label,
                required=False,
                choices=[("", "Not reviewed"), *GoalStatus.choices],
            )

    def goal_fields(self):
        return [self[f"goal_{goal.value}"] for goal in Goal]

    def goals(self) -> list[dict]:
        return [
            {"goal": goal.value, "status": self.cleaned_data[f"goal_{goal.value}"]}
            for goal in Goal
            if self.cleaned_data.get(f"goal_{goal.value}")
        ]


class EndForm(forms.Form):
    ended_on = DateField(
        label="Last day of care", required=False, help_text="Leave empty if it is today"
    )


class ChangeForm(forms.Form):
    """A placed package's visits changed from a date (the visits and plan in their own forms)."""

    effective_from = DateField(
        label="Date the change starts",
        help_text="From the package's start date to 28 days ahead. For example, 15 12 2026",
    )
    reason = forms.CharField(
        label="Why the visits change",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the outcome of a review. The provider is told of the change.",
        error_messages={"required": "Say why the visits change"},
    )


def schedule_initial(version) -> tuple[list[dict], dict]:
    """A version's visits and flexible plan as the visit formset's and plan form's initial data."""
    visits = version.visit_specs()
    plan = getattr(version, "flexible_plan", None)
    if plan is None:
        return visits, {}
    weeks = dict(zip(FlexiblePlanForm.WEEKS, plan.week_hours, strict=True))
    return visits, {"use_plan": True, **weeks, "contingency_hours": plan.contingency_hours}
