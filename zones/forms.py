"""Forms of the zone pages: create and edit a zone, look up a postcode."""

import re

from django import forms
from django.core.exceptions import ValidationError

from core.forms import FieldNamedErrors

from . import services
from .models import (
    MAX_TARGET_MINUTES,
    MAX_URGENT_WAVE,
    MAX_WINDOW_MINUTES,
    AllocationMode,
    code_validator,
)


def run_service(form, service, *, shown_at=None, **kwargs):
    """Call a service; its ValidationError shows at the form's fields, and the result is None.

    `shown_at` names the form field that shows a service's field the form has not
    (the service's `offer_hours` is the form's two times)."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        renamed = {
            (shown_at or {}).get(f, f): messages for f, messages in error.message_dict.items()
        }
        form.add_error(None, ValidationError(renamed))
        return None


# Blank means "none" for these (around the clock), not "unchanged".
OPTIONAL = {"offer_hours_start", "offer_hours_end"}


class ZoneForm(FieldNamedErrors, forms.Form):
    code = forms.CharField(
        max_length=20,
        validators=[code_validator],
        error_messages={
            "required": "Enter a code, like EXETER.",
            "invalid": "A code may use only letters, numbers, hyphens and underscores.",
        },
        help_text="Letters, numbers and hyphens, e.g. EXETER. Other systems use it: it cannot "
        "be changed later.",
    )
    name = forms.CharField(max_length=100, error_messages={"required": "Enter the zone's name."})
    postcode_districts = forms.CharField(
        label="Postcode districts",
        error_messages={"required": "Enter at least one postcode district, like EX1."},
        help_text="The first part of each postcode, separated by commas, e.g. EX1, EX2, EX4.",
    )
    allocation_mode = forms.ChoiceField(
        choices=AllocationMode.choices, widget=forms.RadioSelect, initial=AllocationMode.CASCADE
    )
    offer_window_minutes = forms.IntegerField(
        label="Offer window (minutes)",
        min_value=1,
        max_value=MAX_WINDOW_MINUTES,
        initial=240,
        help_text="How long a provider has to answer an offer for a standard package.",
    )
    urgent_offer_window_minutes = forms.IntegerField(
        label="Urgent offer window (minutes)",
        min_value=1,
        max_value=MAX_WINDOW_MINUTES,
        initial=30,
        help_text="For urgent packages: hospital discharge, crisis, end of life.",
    )
    rotation_weeks = forms.IntegerField(
        label="Rotation period (weeks)",
        min_value=1,
        max_value=52,
        initial=2,
        help_text="In a rota zone the primary and secondary swap roles every period.",
    )
    neighbours = forms.CharField(
        label="Neighbouring zones",
        required=False,
        help_text="Zone codes, separated by commas, in the order their providers are asked "
        "once this zone's are used up (cross-border working). Leave empty for none.",
    )
    retry_minutes = forms.IntegerField(
        required=False,
        label="Re-try escalated packages every (minutes)",
        min_value=5,
        max_value=MAX_WINDOW_MINUTES,
        initial=60,
        help_text="An escalated package is also offered again at once when a provider becomes "
        "able to take it.",
    )
    urgent_wave = forms.IntegerField(
        required=False,
        label="Urgent packages: providers asked at once",
        min_value=1,
        max_value=MAX_URGENT_WAVE,
        initial=1,
        help_text="Cascade and rota zones: the first to accept wins.",
    )
    offer_hours_start = forms.TimeField(
        label="Offer hours start",
        required=False,
        input_formats=["%H:%M"],
        help_text="Offer windows count only minutes inside these hours (UK time), like 07:00 "
        "to 21:00. Leave both empty for around the clock.",
    )
    offer_hours_end = forms.TimeField(
        label="Offer hours end", required=False, input_formats=["%H:%M"]
    )
    review_after_days = forms.IntegerField(
        required=False,
        label="First review after (days)",
        min_value=1,
        max_value=366,
        initial=42,
        help_text="A package's first review falls due this many days after it starts "
        "(42 is six weeks; Worcestershire reviews at 21).",
    )
    fill_target_urgent_minutes = forms.IntegerField(
        required=False,
        label="Fill target for urgent packages (minutes)",
        min_value=1,
        max_value=MAX_TARGET_MINUTES,
        initial=90,
        help_text="Brokers are told when a package is still open this long after submit.",
    )
    fill_target_standard_minutes = forms.IntegerField(
        required=False,
        label="Fill target for standard packages (minutes)",
        min_value=1,
        max_value=MAX_TARGET_MINUTES,
        initial=240,
    )

    def __init__(self, *args, zone=None, **kwargs):
        self.zone = zone
        if zone is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": zone.code,
                    "name": zone.name,
                    "postcode_districts": ", ".join(zone.postcode_districts),
                    "allocation_mode": zone.allocation_mode,
                    "offer_window_minutes": zone.offer_window_minutes,
                    "urgent_offer_window_minutes": zone.urgent_offer_window_minutes,
                    "rotation_weeks": zone.rotation_weeks,
                    "neighbours": ", ".join(zone.neighbour_codes),
                    "retry_minutes": zone.retry_minutes,
                    "urgent_wave": zone.urgent_wave,
                    "offer_hours_start": zone.offer_hours_start,
                    "offer_hours_end": zone.offer_hours_end,
                    "review_after_days": zone.review_after_days,
                    "fill_target_urgent_minutes": zone.fill_target_urgent_minutes,
                    "fill_target_standard_minutes": zone.fill_target_standard_minutes,
                },
            )
        super().__init__(*args, **kwargs)
        if zone is not None:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "Other systems use it: it cannot be changed."

    def clean_postcode_districts(self):
        # Checked here as well as in the service, so that a malformed district
        # shows with the form's other errors rather than after they are fixed.
        raw = self.cleaned_data["postcode_districts"]
        try:
            return services.clean_districts(part for part in re.split(r"[,;\s]+", raw) if part)
        except ValidationError as error:
            raise ValidationError(error.message_dict["postcode_districts"]) from error

    def clean_neighbours(self):
        return [code for code in re.split(r"[,;\s]+", self.cleaned_data["neighbours"]) if code]

    def save(self, *, by):
        """The created or changed zone, or None with the service's errors on the form."""
        # A setting left blank keeps its default (a new zone) or its value (a change).
        data = {f: v for f, v in self.cleaned_data.items() if v is not None or f in OPTIONAL}
        shown_at = {"offer_hours": "offer_hours_end"}
        if self.zone is None:
            return run_service(self, services.create_zone, shown_at=shown_at, by=by, **data)
        data.pop("code")
        return run_service(
            self, services.update_zone, shown_at=shown_at, zone_id=self.zone.pk, by=by, **data
        )


class PostcodeLookupForm(FieldNamedErrors, forms.Form):
    postcode = forms.CharField(max_length=12, label="Postcode", help_text="For example, EX2 4QD.")
