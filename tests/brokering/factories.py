"""Brokering's factories: offers, and whole small markets (a zone with its contracted providers)."""

import datetime

import factory
from django.utils import timezone

from brokering.models import Offer, OfferStatus
from providers.models import ContractRole
from tests.factories import (
    ContractFactory,
    OpenPackageFactory,
    PersonFactory,
    ProviderFactory,
    ZoneFactory,
)


class OfferFactory(factory.django.DjangoModelFactory):
    """A pending offer of an open package, answerable for four hours."""

    class Meta:
        model = Offer

    package = factory.SubFactory(OpenPackageFactory)
    provider = factory.SubFactory(ProviderFactory)
    round = factory.LazyAttribute(lambda o: o.package.brokering_round)
    status = OfferStatus.PENDING
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + datetime.timedelta(hours=4))


def market(mode, *, primary=True, secondary=True, framework=0, shares=(80, 20), **zone):
    """A zone in `mode` with a primary, a secondary and `framework` framework providers.

    Answers (zone, {"primary": provider, "secondary": provider, "framework": [...]}).
    """
    zone_row = ZoneFactory(allocation_mode=mode, districts=[zone.pop("district", "EX1")], **zone)
    providers = {"framework": []}
    if primary:
        providers["primary"] = ContractFactory(
            zone=zone_row, role=ContractRole.PRIMARY, share_percent=shares[0]
        ).provider
    if secondary:
        providers["secondary"] = ContractFactory(
            zone=zone_row, role=ContractRole.SECONDARY, share_percent=shares[1]
        ).provider
    for _ in range(framework):
        providers["framework"].append(
            ContractFactory(zone=zone_row, role=ContractRole.FRAMEWORK).provider
        )
    return zone_row, providers


def open_package(zone, **kwargs):
    """An open (submitted) package in `zone`, its person living in the zone's first district."""
    district = zone.districts.first().district
    return OpenPackageFactory(zone=zone, person=PersonFactory(postcode=f"{district} 1AA"), **kwargs)
