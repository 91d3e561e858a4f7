"""The package filters, one definition for the list pages and the API.

Zones and providers are named by code (`?zone=ZN&provider=PROV-A`), as in
every URL and payload of the contract.
"""

import django_filters
from django import forms

from core.filters import CodeChoiceFilter
from core.permissions import broker_zone_ids
from providers.models import Provider
from zones.models import Zone

from . import selectors
from .models import PackageStatus, Priority, Source

YES_NO_ANY = [("", "Any"), ("true", "Yes"), ("false", "No")]


def _zones(request):
    """The zones offered in the filter: a zone-limited broker sees only its own."""
    zones = Zone.objects.all()
    zone_ids = broker_zone_ids(request.user) if request is not None else None
    return zones if zone_ids is None else zones.filter(pk__in=zone_ids)


class PackageFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        help_text="NHS number, family name, postcode or package number",
        max_length=100,
    )
    status = django_filters.MultipleChoiceFilter(
        choices=PackageStatus.choices, widget=forms.CheckboxSelectMultiple, method="filter_status"
    )
    zone = CodeChoiceFilter(queryset=_zones, noun="zone", empty_label="All zones")
    provider = CodeChoiceFilter(
        queryset=Provider.objects.all(), noun="provider", empty_label="All providers"
    )
    priority = django_filters.ChoiceFilter(choices=Priority.choices, empty_label="Any priority")
    source = django_filters.ChoiceFilter(choices=Source.choices, empty_label="Any source")
    escalated = django_filters.BooleanFilter(widget=forms.Select(choices=YES_NO_ANY))

    def filter_status(self, queryset, name, value):
        # One status as an equality, which the index `package_status_created` serves in its
        # order (newest first); PostgreSQL does not read `IN (...)` of one so.
        if len(value) == 1:
            return queryset.filter(status=value[0])
        return queryset.filter(status__in=value)

    def filter_search(self, queryset, name, value):
        return selectors.search(queryset, value)
