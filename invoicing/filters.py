"""Filters shared by the invoicing pages and the API: one definition of each."""

import django_filters
from django_filters.widgets import BooleanWidget

from core import clock
from core.filters import DateFilter

from .models import DeadlineStatus, InvoiceStatus

FLAGS = [
    ("missed", "Missed"),
    ("short", "Short"),
    ("late", "Late"),
    ("unplanned", "Unplanned"),
]


class AnyYesNo(BooleanWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", "Any"), ("true", "Yes"), ("false", "No")]


class DeliveredVisitFilter(django_filters.FilterSet):
    package = django_filters.NumberFilter(field_name="package_id", label="Package")
    provider = django_filters.CharFilter(field_name="provider__code", label="Provider code")
    date_from = DateFilter(field_name="date", lookup_expr="gte", label="From", noun="first day")
    date_to = DateFilter(field_name="date", lookup_expr="lte", label="To", noun="last day")
    flag = django_filters.ChoiceFilter(
        choices=FLAGS, method="filter_flag", label="Flag", empty_label="Any"
    )
    invoiced = django_filters.BooleanFilter(
        field_name="invoice_line",
        lookup_expr="isnull",
        exclude=True,
        label="On an invoice",
        widget=AnyYesNo,
    )
    invoice = django_filters.NumberFilter(field_name="invoice_line__invoice_id", label="Invoice")

    def filter_flag(self, queryset, name, value):
        return queryset.filter(**{value: True})


class InvoiceFilter(django_filters.FilterSet):
    """On Invoice querysets; the deadline status is filtered on the dates, as of today."""

    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, empty_label="Any")
    provider = django_filters.CharFilter(field_name="provider__code", label="Provider code")
    deadline_status = django_filters.ChoiceFilter(
        choices=DeadlineStatus.choices,
        label="Deadline",
        empty_label="Any",
        method="filter_deadline_status",
    )
    reference = django_filters.CharFilter(lookup_expr="icontains", label="Reference")

    def filter_deadline_status(self, queryset, name, value):
        return queryset.in_deadline_status(value, clock.today())
