"""Filters of the zone list, shared by the page and the API."""

import django_filters
from django.db.models import Q

from .models import AllocationMode, Zone


class ZoneFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Code, name or postcode district")
    allocation_mode = django_filters.ChoiceFilter(
        choices=AllocationMode.choices, empty_label="Any mode", label="Allocation mode"
    )
    district = django_filters.CharFilter(
        field_name="districts__district", lookup_expr="iexact", label="Postcode district"
    )

    class Meta:
        model = Zone
        fields = ["q", "allocation_mode", "district"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(code__icontains=value)
            | Q(name__icontains=value)
            | Q(districts__district__iexact=value.replace(" ", ""))
        ).distinct()
