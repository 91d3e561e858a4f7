"""Forms for the invoicing pages. They parse; the services decide."""

import datetime
from decimal import Decimal

from django import forms
from django.utils import timezone

from core import clock
from core.api import field_errors
from core.forms import DateField, choose_by_code
from providers.models import Provider

from .models import RECORD_PERIOD_MAX_DAYS, Invoice


def date_field(label, **kwargs):
    """GOV.UK's three boxes (core.forms.DateField); YYYY-MM-DD in a link is read too."""
    return DateField(label=label, **kwargs)


def show_service_errors(form, error):
    """Put a service's ValidationError on the form: at the named field, or at the top."""
    for field, messages in field_errors(error).items():
        form.add_error(field if field in form.fields else None, messages)


class VisitUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file of delivered visits",
        help_text=(
            "From your call monitoring system, with the header row "
            "package,date,actual_start,actual_end,carers. Dates as YYYY-MM-DD, times as HH:MM."
        ),
        error_messages={"required": "Choose a CSV file of visits to upload"},
    )


class PlannedVisitsForm(forms.Form):
    """The days whose planned visits a provider downloads to record what was delivered."""

    MAX_DAYS = RECORD_PERIOD_MAX_DAYS

    period_start = date_field("First day")
    period_end = date_field("Last day")

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("period_start"), cleaned.get("period_end")
        if first and last:
            if last < first:
                self.add_error("period_end", "The last day must be on or after the first day")
            elif (last - first).days >= self.MAX_DAYS:
                self.add_error("period_end", f"Choose at most {self.MAX_DAYS} days")
            elif last > clock.today():
                self.add_error("period_end", "The last day cannot be in the future")
        return cleaned


class InvoiceForm(forms.Form):
    """A provider invoices its delivered visits for a period."""

    reference = forms.CharField(
        label="Your invoice reference",
        max_length=60,
        error_messages={"required": "Enter your invoice reference"},
    )
    period_start = date_field("First day of the period")
    period_end = date_field("Last day of the period")


class ReceivedInvoiceForm(InvoiceForm):
    """Finance records an invoice that came by post or email."""

    provider = forms.ModelChoiceField(
        queryset=Provider.objects.order_by("name"),
        to_field_name="code",
        label="Provider",
        empty_label="Choose the provider",
        error_messages={"required": "Choose the provider the invoice came from"},
    )
    received_on = date_field("Date received", initial=timezone.localdate)

    field_order = ["provider", "reference", "period_start", "period_end", "received_on"]


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label="Why is the invoice disputed?",
        help_text="The provider sees this. Name the packages and visits in question.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the invoice is disputed"},
    )


class LineDisputeForm(forms.Form):
    reason = forms.CharField(
        label="Why is this line disputed?",
        help_text="The provider sees this. Name the visits in question.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why the line is disputed"},
    )


class PaymentForm(forms.Form):
    paid_on = date_field("Date paid", initial=timezone.localdate)
    payment_reference = forms.CharField(
        label="Payment reference",
        max_length=60,
        error_messages={"required": "Enter the payment reference"},
    )


class PaymentRunForm(forms.Form):
    invoices = forms.ModelMultipleChoiceField(
        # Any invoice: the service checks, under lock, that each is still approved.
        queryset=Invoice.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        label="Approved invoices to pay",
        error_messages={"required": "Choose at least one approved invoice to pay"},
    )
    paid_on = date_field("Date paid", initial=timezone.localdate)
    reference = forms.CharField(
        label="Payment run reference",
        max_length=60,
        help_text="The batch reference in the finance system; each invoice is paid under it.",
        error_messages={"required": "Enter the payment run reference"},
    )


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount (£)",
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        error_messages={"required": "Enter the amount the provider owes back"},
    )
    reason = forms.CharField(
        label="What is the credit note for?",
        help_text="The provider sees this. Name the packages and visits it corrects.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what the credit note is for"},
    )


class RemittanceForm(forms.Form):
    """Whose payments, and when: a provider's own are chosen for it."""

    provider = choose_by_code(
        forms.ModelChoiceField(
            queryset=Provider.objects.order_by("name"),
            to_field_name="code",
            label="Provider",
            required=False,
            empty_label="Choose the provider",
        ),
        "provider",
    )
    start = date_field("Paid from")
    end = date_field("Paid up to")

    @staticmethod
    def default_period():
        """The last 28 days, today included."""
        today = clock.today()
        return {"start": today - datetime.timedelta(days=27), "end": today}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["end"] < cleaned["start"]:
            self.add_error("end", "The last day must be on or after the first day")
        return cleaned
