"""A small market whose dashboard numbers are worked out by hand in the tests."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokering.models import Offer, OfferStatus
from packages.models import PackageStatus, Priority, Source
from tests import factories


def _minutes_ago(minutes):
    return timezone.now() - datetime.timedelta(minutes=minutes)


@pytest.fixture
def market(db):
    """Three zones; open, draft, cancelled, placed and handed-back packages.

    Unfilled (open) by hand:
      ZA: p1 5.25 h (hospital, ready 4 days ago) + p1 2 h (community) + p2 10 h
          (hospital, submitted 1 day ago) -> 3 packages, 17.25 h, 2 people, 2 in hospital.
      ZB: p3 7.5 h + p1 1 h + p4 3 h (hospital but handed back: at home)
          -> 3 packages, 11.5 h, 3 people, 0 in hospital.
      ZC: nothing.
      Total: 6 packages, 28.75 h, 4 people (p1 once), 2 in hospital.
    Placed since yesterday, minutes to fill: ZA standard 30, 60, 90, 120, 300;
    ZB urgent 45. A package placed 30 days ago is outside the default window's
    first day when `since` is yesterday.
    """
    today = timezone.localdate()
    za = factories.ZoneFactory(code="ZA", name="Alpha", districts=["EX1"])
    zb = factories.ZoneFactory(code="ZB", name="Bravo", districts=["PL1"])
    zc = factories.ZoneFactory(code="ZC", name="Charlie", districts=["TQ1"])
    p1, p2, p3, p4, p5 = (factories.PersonFactory() for _ in range(5))

    def open_package(zone, person, hours, source=Source.COMMUNITY, submitted=60, **extra):
        submitted_at = _minutes_ago(submitted)
        return factories.OpenPackageFactory(
            zone=zone,
            person=person,
            weekly_hours=Decimal(hours),
            source=source,
            submitted_at=submitted_at,
            waiting_since=extra.pop("waiting_since", submitted_at),
            **extra,
        )

    open_package(
        za,
        p1,
        "5.25",
        Source.HOSPITAL_DISCHARGE,
        submitted=3 * 24 * 60,
        hospital_ready_on=today - datetime.timedelta(days=4),
    )
    open_package(za, p1, "2.00")
    open_package(za, p2, "10.00", Source.HOSPITAL_DISCHARGE, submitted=24 * 60)
    open_package(zb, p3, "7.50", submitted=120)
    open_package(zb, p1, "1.00")
    open_package(
        zb,
        p4,
        "3.00",
        Source.HOSPITAL_DISCHARGE,
        submitted=10 * 24 * 60,
        waiting_since=_minutes_ago(30),
    )
    factories.PackageFactory(zone=za, person=p4, weekly_hours=Decimal("20"))
    factories.PackageFactory(
        zone=zb, person=p5, weekly_hours=Decimal("30"), status=PackageStatus.CANCELLED
    )
    provider = factories.ProviderFactory(code="PROV-X")

    def placed(zone, minutes, priority=Priority.STANDARD, ago=60, status=PackageStatus.PLACED):
        placed_at = _minutes_ago(ago)
        return factories.PlacedPackageFactory(
            zone=zone,
            provider=provider,
            priority=priority,
            status=status,
            submitted_at=placed_at - datetime.timedelta(minutes=minutes),
            placed_at=placed_at,
        )

    for minutes in (30, 60, 90, 120):
        placed(za, minutes)
    placed(za, 300, status=PackageStatus.ENDED)
    placed(zb, 45, Priority.URGENT)
    placed(zb, 10, ago=30 * 24 * 60)
    return {"ZA": za, "ZB": zb, "ZC": zc, "provider": provider}


@pytest.fixture
def zone_broker(market):
    broker = factories.BrokerFactory(username="zone.broker")
    broker.zones.set([market["ZA"]])
    return broker


def _more_market(market, n):
    """n more open and placed packages, offers and hand-backs spread over the zones."""
    now = timezone.now()
    for i in range(n):
        zone = market[("ZA", "ZB", "ZC")[i % 3]]
        factories.OpenPackageFactory(zone=zone, weekly_hours=Decimal("3"))
        placed = factories.PlacedPackageFactory(
            zone=zone,
            provider=factories.ProviderFactory(),
            submitted_at=now - datetime.timedelta(minutes=40 + i),
            placed_at=now,
        )
        Offer.objects.create(
            package=placed,
            provider=placed.provider,
            round=1,
            status=OfferStatus.ACCEPTED,
            sent_at=now - datetime.timedelta(minutes=30),
            expires_at=now + datetime.timedelta(minutes=30),
            answered_at=now,
        )
    factories.CapacityFactory(provider=factories.ProviderFactory(), zone=market["ZA"])


@pytest.fixture
def grow(market):
    """grow(n): n more open and placed packages, offers and capacity, for query counts."""
    return lambda n: _more_market(market, n)
