"""A contract's terms in brokering: outside its dates its provider is offered no work in
the zone; within a role, providers whose guaranteed hours are not yet filled come first."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from brokering import services
from providers.models import Contract
from tests.factories import PlacedPackageFactory
from zones.models import AllocationMode

from .factories import market, open_package

pytestmark = pytest.mark.django_db


def asked_in_order(package, times):
    order = []
    for _ in range(times):
        offers = services.advance_brokering(package_id=package.pk)
        if not offers:
            break
        (offer,) = offers
        order.append(offer.provider)
        services.decline_offer(offer_id=offer.pk, by=None, reason="no_capacity")
    return order


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(1, None), (-30, -1)],
    ids=["starting tomorrow", "ended yesterday"],
)
def test_a_contract_outside_its_dates_gets_no_offer(starts, ends):
    zone, p = market(AllocationMode.BROADCAST, primary=False, secondary=False, framework=2)
    in_force, outside = p["framework"]
    today = timezone.localdate()
    Contract.objects.filter(provider=outside).update(
        starts_on=today + datetime.timedelta(days=starts),
        ends_on=None if ends is None else today + datetime.timedelta(days=ends),
    )
    package = open_package(zone)

    offers = services.advance_brokering(package_id=package.pk)

    assert [o.provider for o in offers] == [in_force]


def test_a_contract_on_its_last_day_is_still_in_force():
    zone, p = market(AllocationMode.CASCADE, primary=False, secondary=False, framework=1)
    Contract.objects.update(ends_on=timezone.localdate())
    (offer,) = services.advance_brokering(package_id=open_package(zone).pk)
    assert offer.provider == p["framework"][0]


def test_within_a_role_unfilled_guaranteed_hours_come_first():
    """Three framework providers: one guaranteed 10 hours with 12 placed (filled), one
    guaranteed 10 with 5 placed (not filled), one with no guarantee. The unfilled
    guarantee is asked first; the rest in the usual order (the fewest hours placed this
    week first)."""
    zone, p = market(AllocationMode.CASCADE, primary=False, secondary=False, framework=3)
    filled, unfilled, plain = sorted(p["framework"], key=lambda provider: provider.code)
    for provider, placed in ((filled, "12"), (unfilled, "5")):
        Contract.objects.filter(provider=provider).update(guaranteed_hours=Decimal("10"))
        PlacedPackageFactory(zone=zone, provider=provider, weekly_hours=Decimal(placed))
    package = open_package(zone)

    assert asked_in_order(package, 3) == [unfilled, plain, filled]


def test_guaranteed_hours_do_not_jump_a_role():
    zone, p = market(AllocationMode.CASCADE, secondary=False, framework=1)
    Contract.objects.filter(provider=p["framework"][0]).update(guaranteed_hours=Decimal("40"))
    package = open_package(zone)

    assert asked_in_order(package, 2) == [p["primary"], p["framework"][0]]
