"""Forms of the zone pages: create and edit a zone, look up a postcode."""

import re

from django import forms
from django.core.exceptions import ValidationError

from core.forms import FieldNamedErrors

from . import services
from .models import MAX_WINDOW_MINUTES, AllocationMode, code_validator


def run_service(form, service, **kwargs):
    """Call a service; its ValidationError shows at the form's fields, and the result is None."""
    try:
        return service(**kwargs)
    except ValidationError as error:
        form.add_error(None, error)
        return None


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

    def save(self, *, by):
        """The created or changed zone, or None with the service's errors on the form."""
        data = dict(self.cleaned_data)
        if self.zone is None:
            return run_service(self, services.create_zone, by=by, **data)
        data.pop("code")
        return run_service(self, services.update_zone, zone_id=self.zone.pk, by=by, **data)


class PostcodeLookupForm(FieldNamedErrors, forms.Form):
    postcode = forms.CharField(max_length=12, label="Postcode", help_text="For example, EX2 4QD.")
