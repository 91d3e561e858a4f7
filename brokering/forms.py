"""Forms of the provider portal (declining an offer) and the broker's package actions."""

from django import forms

from providers.models import Provider, ProviderStatus

from .models import DeclineReason


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why are you declining this offer?",
        choices=DeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why you are declining this offer"},
    )
    detail = forms.CharField(
        label="Details",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if you can do part of it (say which part: the mornings, say) or "
        "chose Other. Do not include the person's details.",
    )

    def clean(self):
        data = super().clean()
        if not data.get("detail", "").strip():
            if data.get("reason") == DeclineReason.PART:
                self.add_error("detail", "Say which part of the care you can do")
            elif data.get("reason") == DeclineReason.OTHER:
                self.add_error("detail", "Say why you are declining this offer")
        return data


class AssignForm(forms.Form):
    provider = forms.ModelChoiceField(
        label="Provider",
        queryset=Provider.objects.exclude(status=ProviderStatus.EXITED).order_by("name"),
        to_field_name="code",
        empty_label="Choose a provider",
        error_messages={"required": "Choose the provider to place the package with"},
    )
    reason = forms.CharField(
        label="Reason for placing by hand",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="This overrides the allocation rules and is recorded on the package's timeline.",
        error_messages={"required": "Give the reason for placing this package by hand"},
    )
    override_reason = forms.CharField(
        label="Why place it with a provider that is not eligible?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only if the provider you chose shows a reason it is not eligible. Recorded on "
        "the timeline with your name.",
    )
