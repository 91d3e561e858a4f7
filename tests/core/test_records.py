"""Records kept for people (core.records): written everywhere but inside `not_kept()`, where
brokering's own writes go on exactly as ever."""

import pytest
from auditlog.models import LogEntry

from brokering import services as brokering
from brokering.models import Offer, OfferStatus
from core import records
from notifications.models import Notification
from packages.models import PackageEvent
from tests.brokering.factories import market, open_package
from tests.factories import ProviderUserFactory
from zones.models import AllocationMode

pytestmark = pytest.mark.django_db


def written():
    return LogEntry.objects.count(), PackageEvent.objects.count(), Notification.objects.count()


def offers_of(package):
    return Offer.objects.filter(package=package).order_by("pk").values_list("provider", "status")


def test_brokering_inside_not_kept_writes_its_offers_and_no_record_for_people():
    zone, providers = market(AllocationMode.CASCADE, framework=1)
    for provider in providers["primary"], providers["secondary"]:
        ProviderUserFactory(provider=provider)
    package = open_package(zone)
    before = written()
    with records.not_kept():
        assert not records.kept()
        offers = brokering.advance_brokering(package_id=package.pk)
        brokering.decline_offer(offer_id=offers[0].pk, by=None, reason="no_capacity")
        second = brokering.advance_brokering(package_id=package.pk)
        brokering.accept_offer(offer_id=second[0].pk, by=None)
    assert written() == before
    assert list(offers_of(package)) == [
        (providers["primary"].pk, OfferStatus.DECLINED),
        (providers["secondary"].pk, OfferStatus.ACCEPTED),
    ]
    package.refresh_from_db()
    assert package.provider == providers["secondary"]
    assert records.kept()


def test_outside_not_kept_the_same_brokering_records_them():
    zone, providers = market(AllocationMode.CASCADE, framework=1)
    ProviderUserFactory(provider=providers["primary"])
    package = open_package(zone)
    before = written()
    offers = brokering.advance_brokering(package_id=package.pk)
    brokering.accept_offer(offer_id=offers[0].pk, by=None)
    assert all(now > then for now, then in zip(written(), before, strict=True))
