"""The what-if page's question: a past period, zones, and the settings to try (blank: as now)."""

import datetime
import re

from django import forms

from core import clock
from core.forms import FieldNamedErrors
from zones.models import AllocationMode, Zone

from . import settings_input

UNCHANGED = [("", "As now")]
# The browser's date picker reads and writes ISO dates.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
# Form fields that are zone settings as they are, and their labels.
NUMBERS = {
    "offer_window_minutes": "Offer window (minutes)",
    "urgent_offer_window_minutes": "Urgent offer window (minutes)",
    "urgent_wave": "Urgent wave (providers asked at once)",
    "retry_minutes": "Re-try interval (minutes)",
}


class WhatIfForm(FieldNamedErrors, forms.Form):
    period_start = forms.DateField(
        label="Start of the period", widget=DATE, help_text="The day its first referral came."
    )
    period_end = forms.DateField(
        label="End of the period", widget=DATE, help_text="Today or earlier."
    )
    zones = forms.MultipleChoiceField(
        label="Zones",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: every zone. Settings below apply to each zone chosen.",
    )
    allocation_mode = forms.ChoiceField(
        label="Allocation mode", required=False, choices=UNCHANGED + AllocationMode.choices
    )
    offer_window_minutes = forms.IntegerField(label=NUMBERS["offer_window_minutes"], required=False)
    urgent_offer_window_minutes = forms.IntegerField(
        label=NUMBERS["urgent_offer_window_minutes"], required=False
    )
    urgent_wave = forms.IntegerField(label=NUMBERS["urgent_wave"], required=False)
    offer_hours_start = forms.TimeField(
        label="Offer hours from", required=False, help_text="Like 07:00 (UK time)."
    )
    offer_hours_end = forms.TimeField(label="Offer hours to", required=False)
    neighbours = forms.CharField(
        label="Neighbour zones",
        required=False,
        help_text="Zone codes asked, in this order, once a zone's own providers are used up.",
    )
    reserve_providers = forms.CharField(
        label="Reserve providers",
        required=False,
        help_text="Provider codes to hold each zone's reserve contracts, asked once every other "
        "provider in the zone has been. Write none for no reserve.",
    )
    retry_minutes = forms.IntegerField(label=NUMBERS["retry_minutes"], required=False)
    seed = forms.IntegerField(label="Random seed", initial=1, min_value=0, max_value=2**31 - 1)
    runs = forms.IntegerField(label="Runs", initial=3, min_value=1, max_value=10)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].choices = [(z.code, z.name) for z in Zone.objects.order_by("code")]
        if not self.is_bound:
            today = clock.today()
            self.initial.update(period_start=today - datetime.timedelta(weeks=12), period_end=today)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The end of the period comes on or after its start.")
        if end and end > clock.today():
            self.add_error("period_end", "The period is in the past: end it today or earlier.")
        if bool(data.get("offer_hours_start")) != bool(data.get("offer_hours_end")):
            self.add_error("offer_hours_end", "Give both offer hours, or neither.")
        if self.errors:
            return data
        try:
            data["zones"], data["settings"] = settings_input.checked(
                data.get("zones", []), self.zone_settings()
            )
        except settings_input.SettingsError as error:
            self._show(error.errors)
        return data

    def zone_settings(self) -> dict:
        """The settings to try, in the zones API's words; only those given."""
        data = self.cleaned_data
        changes = {name: data[name] for name in NUMBERS if data.get(name) is not None}
        if data.get("allocation_mode"):
            changes["allocation_mode"] = data["allocation_mode"]
        if data.get("offer_hours_start"):
            changes["offer_hours"] = {
                "start": data["offer_hours_start"].strftime("%H:%M"),
                "end": data["offer_hours_end"].strftime("%H:%M"),
            }
        if neighbours := _codes(data.get("neighbours", "")):
            changes["neighbours"] = neighbours
        if reserve := _codes(data.get("reserve_providers", "")):
            changes["reserve_providers"] = [] if reserve == ["NONE"] else reserve
        return changes

    def _show(self, errors: dict):
        """The zones API's errors at the form's fields (the first zone's are enough)."""
        if "zones" in errors:
            self.add_error("zones", errors["zones"])
            return
        _, by_field = next(iter(errors["settings"].items()))
        if isinstance(by_field, list):
            self.add_error(None, by_field)
            return
        for name, messages in by_field.items():
            field = {"offer_hours": "offer_hours_end"}.get(name, name)
            self.add_error(field if field in self.fields else None, _texts(messages))


def _codes(text: str) -> list[str]:
    """Codes as typed, separated by commas, semicolons or spaces, in capitals."""
    return [code.upper() for code in re.split(r"[,;\s]+", text) if code]


def _texts(messages) -> list[str]:
    if isinstance(messages, dict):
        return [str(m) for inner in messages.values() for m in _texts(inner)]
    return [str(m) for m in messages]
