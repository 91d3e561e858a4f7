"""Filters for offer lists, shared by the provider portal and the API."""

import django_filters

from .models import Offer, OfferStatus


class OfferFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OfferStatus.choices)
    package = django_filters.NumberFilter(field_name="package_id", label="Package")
    provider = django_filters.CharFilter(field_name="provider__code", label="Provider code")
    zone = django_filters.CharFilter(field_name="package__zone__code", label="Zone code")

    class Meta:
        model = Offer
        fields = ["status", "package", "provider", "zone"]
