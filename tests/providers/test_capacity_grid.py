"""Declaring spare hours for several zones and weeks on one page: a box per zone and week."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from providers import signals
from providers.models import Capacity
from tests.factories import CapacityFactory, ContractFactory, PlacedPackageFactory, ZoneFactory

pytestmark = pytest.mark.django_db

URL = "/providers/capacity/weeks/"
TODAY = "2026-03-04 10:00 +00:00"  # a Wednesday; its week starts on Monday 2 March
THIS_WEEK, NEXT_WEEK = datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)


@pytest.fixture
def zones(users):
    """The provider's two zones (by contract), and one it has nothing to do with."""
    exeter = ZoneFactory(code="EXETER", name="Exeter", districts=["EX1"])
    teign = ZoneFactory(code="TEIGN", name="Teignbridge", districts=["TQ12"])
    ZoneFactory(code="TORRIDGE", name="Torridge", districts=["EX39"])
    for zone in (exeter, teign):
        ContractFactory(zone=zone, provider=users["provider"].provider)
    return exeter, teign


def box(zone, monday):
    return f"hours-{zone.code}-{monday:%Y%m%d}"


def text(response):
    return " ".join(response.content.decode().split())


@time_machine.travel(TODAY)
def test_the_grid_has_a_box_for_each_of_its_zones_and_the_coming_weeks(page, users, zones):
    exeter, _ = zones
    CapacityFactory(
        provider=users["provider"].provider, zone=exeter, week_start=THIS_WEEK, hours=20
    )
    PlacedPackageFactory(
        provider=users["provider"].provider, zone=exeter, weekly_hours=Decimal("7")
    )

    shown = text(page(users["provider"]).get(URL))

    assert shown.count('class="govuk-input govuk-input--width-3"') == 2 * 9
    assert "Torridge" not in shown  # no contract there, nothing declared
    assert f'name="{box(exeter, THIS_WEEK)}" value="20" ' in shown
    assert "13 left" in shown  # 20 declared, 7 placed since
    assert "Exeter, week starting 9 Mar 2026" in shown  # each box's label names it
    assert "27 Apr 2026" in shown and "4 May 2026" not in shown  # this week and the next 8


@time_machine.travel(TODAY)
def test_one_post_declares_every_box_changed_and_leaves_the_others(page, users, zones):
    exeter, teign = zones
    kept = CapacityFactory(
        provider=users["provider"].provider, zone=exeter, week_start=THIS_WEEK, hours=20
    )
    told = []
    signals.market_opened.connect(receiver := lambda **kw: told.append(kw["zone_ids"]))
    client = page(users["provider"])
    try:
        response = client.post(
            URL,
            {
                box(exeter, THIS_WEEK): "20",  # as it was
                box(exeter, NEXT_WEEK): "12.5",
                box(teign, THIS_WEEK): "0",
                box(teign, NEXT_WEEK): "8",
            },
        )
    finally:
        signals.market_opened.disconnect(receiver)

    assert response.status_code == 302 and response.url == URL
    figures = {(c.zone.code, c.week_start): c.hours for c in Capacity.objects.all()}
    assert figures == {
        ("EXETER", THIS_WEEK): 20,
        ("EXETER", NEXT_WEEK): Decimal("12.5"),
        ("TEIGN", THIS_WEEK): 0,
        ("TEIGN", NEXT_WEEK): 8,
    }
    # The unchanged figure was not declared again (its placements count from its declaration).
    assert Capacity.objects.get(pk=kept.pk).declared_at == kept.declared_at
    assert told == [sorted([exeter.pk, teign.pk])]  # brokering hears once
    follow = text(client.get(URL))
    assert "Alpha Home Care: 3 figures of spare hours declared." in follow


@time_machine.travel(TODAY)
def test_errors_name_the_zone_and_week_and_nothing_is_saved(page, users, zones):
    exeter, teign = zones
    CapacityFactory(provider=users["provider"].provider, zone=teign, week_start=NEXT_WEEK, hours=5)

    response = page(users["provider"]).post(
        URL,
        {
            box(exeter, THIS_WEEK): "10",  # fine, but not saved with the errors
            box(exeter, NEXT_WEEK): "-1",
            box(teign, THIS_WEEK): "lots",
            box(teign, NEXT_WEEK): "",  # declared before: blank is not "none"
        },
    )

    assert response.status_code == 200
    shown = text(response)
    assert "There is a problem" in shown
    assert "Exeter, week starting 9 Mar 2026 must be 0 or more." in shown
    assert "Teignbridge, week starting 2 Mar 2026 must be a number." in shown
    assert "Teignbridge, week starting 9 Mar 2026: enter the spare hours, or 0 if none" in shown
    # In its narrow box an error is compact (its row and column name the zone and week);
    # a screen reader hears it in full.
    assert '<span aria-hidden="true">Must be 0 or more.</span>' in response.content.decode()
    assert '<span aria-hidden="true">Enter the spare hours, or 0 if none.</span>' in (
        response.content.decode()
    )
    assert "Error: Exeter, week starting 9 Mar 2026 must be 0 or more." in shown
    # The summary links to the box.
    assert f'href="#id_{box(exeter, NEXT_WEEK)}"' in shown
    assert "govuk-input--error" in shown
    assert Capacity.objects.count() == 1


@time_machine.travel(TODAY)
def test_staff_choose_the_provider_and_others_may_not_declare(page, users, zones):
    exeter, _ = zones
    chooser = text(page(users["commissioner"]).get(URL))
    assert 'name="provider"' in chooser and 'name="hours-' not in chooser
    url = f"{URL}?provider=PROV-A"
    response = page(users["commissioner"]).post(url, {box(exeter, THIS_WEEK): "6"})
    assert response.status_code == 302
    assert Capacity.objects.get().hours == 6
    assert page(users["broker"]).get(URL).status_code == 403
    # Another provider's grid has its own zones only: a box of Alpha's is not in it.
    page(users["other_provider"]).post(URL, {box(exeter, THIS_WEEK): "9"})
    assert Capacity.objects.get().hours == 6


@time_machine.travel(TODAY)
def test_the_grid_reads_in_the_same_queries_however_many_zones(page, users, zones):
    client = page(users["provider"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    few = queries()
    for n in range(5):
        zone = ZoneFactory(districts=[f"PL{n + 1}"])
        ContractFactory(zone=zone, provider=users["provider"].provider)
        CapacityFactory(provider=users["provider"].provider, zone=zone, week_start=THIS_WEEK)
    assert queries() == few
