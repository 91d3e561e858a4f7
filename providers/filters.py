"""Filters of the provider, contract and capacity lists, shared by the pages and the API."""

import django_filters
from django.db.models import Q

from core.filters import CodeChoiceFilter
from zones.models import Zone

from .models import (
    Capacity,
    Contract,
    ContractRole,
    CqcRating,
    Lot,
    Provider,
    ProviderStatus,
    Rate,
)


class ProviderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or code")
    status = django_filters.ChoiceFilter(choices=ProviderStatus.choices, empty_label="Any status")
    cqc_rating = django_filters.ChoiceFilter(
        choices=CqcRating.choices, empty_label="Any rating", label="CQC rating"
    )
    lot = django_filters.ChoiceFilter(choices=Lot.choices, empty_label="Any lot", label="Lot")
    zone = CodeChoiceFilter(
        field_name="contracts__zone",
        queryset=Zone.objects.all(),
        noun="zone",
        empty_label="Any zone",
        label="Zone",
        distinct=True,
    )

    class Meta:
        model = Provider
        fields = ["q", "status", "cqc_rating", "lot", "zone"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value) | Q(code__icontains=value) | Q(cqc_location_id=value)
        )


class ContractFilter(django_filters.FilterSet):
    zone = django_filters.CharFilter(field_name="zone__code", lookup_expr="iexact")
    provider = django_filters.CharFilter(field_name="provider__code", lookup_expr="iexact")
    role = django_filters.ChoiceFilter(choices=ContractRole.choices)

    class Meta:
        model = Contract
        fields = ["zone", "provider", "role"]


class CapacityFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter(field_name="provider__code", lookup_expr="iexact")
    zone = CodeChoiceFilter(queryset=Zone.objects.all(), noun="zone", empty_label="Any zone")
    week_start = django_filters.DateFilter(label="Week starting")
    week_from = django_filters.DateFilter(
        field_name="week_start", lookup_expr="gte", label="Weeks from"
    )

    class Meta:
        model = Capacity
        fields = ["provider", "zone", "week_start", "week_from"]


class RateFilter(django_filters.FilterSet):
    provider = django_filters.CharFilter(field_name="provider__code", lookup_expr="iexact")
    zone = django_filters.CharFilter(
        method="in_zone", label="Zone", help_text="A zone code, or `every` for every-zone rates."
    )

    class Meta:
        model = Rate
        fields = ["provider", "zone"]

    def in_zone(self, queryset, name, value):
        if value.lower() == "every":
            return queryset.filter(zone__isnull=True)
        return queryset.filter(zone__code__iexact=value)
