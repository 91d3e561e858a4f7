"""Provider performance, placed-hour shares and spend, against numbers worked out by hand."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokering.models import DeclineReason, Offer, OfferStatus
from dashboard import selectors
from dashboard.filters import Scope, default_since
from packages.models import HandBack
from tests import factories

PROVIDERS = "/api/v1/dashboard/providers/"
UK = ZoneInfo("Europe/London")


def _scope(zone_ids=None):
    today = timezone.localdate()
    return Scope(zone_ids=zone_ids, since=default_since(today), until=today, today=today)


@pytest.fixture
def offers(market):
    """PROV-X: accepted after 10 minutes, declined after 30, one expired, one withdrawn
    (acceptance 1 of 3 = 33.3%, median answer 20 minutes), one hand-back; in ZB a
    pending offer to PROV-Y."""
    now = timezone.now()
    x = market["provider"]
    y = factories.ProviderFactory(code="PROV-Y")
    answers = [
        (OfferStatus.ACCEPTED, 10, market["ZA"]),
        (OfferStatus.DECLINED, 30, market["ZA"]),
        (OfferStatus.EXPIRED, None, market["ZA"]),
        (OfferStatus.WITHDRAWN, None, market["ZB"]),
    ]
    for status, minutes, zone in answers:
        package = factories.OpenPackageFactory(zone=zone)
        sent = now - datetime.timedelta(hours=2)
        Offer.objects.create(
            package=package,
            provider=x,
            round=1,
            status=status,
            sent_at=sent,
            expires_at=sent + datetime.timedelta(hours=1),
            answered_at=sent + datetime.timedelta(minutes=minutes) if minutes else None,
            decline_reason=DeclineReason.NO_CAPACITY if status == OfferStatus.DECLINED else "",
        )
    pending = factories.OpenPackageFactory(zone=market["ZB"])
    Offer.objects.create(
        package=pending,
        provider=y,
        round=1,
        sent_at=now,
        expires_at=now + datetime.timedelta(hours=1),
    )
    HandBack.objects.create(package=pending, provider=x, reason="No staff", at=now)
    factories.PlacedPackageFactory(zone=market["ZA"], provider=y, weekly_hours=Decimal("5.25"))
    return {"x": x, "y": y}


def _performance(scope):
    return selectors.provider_performance(scope, selectors.providers_offered_work(scope))


def test_provider_performance(offers, market):
    rows = {r["provider"]: r for r in _performance(_scope())}
    x = rows["PROV-X"]
    assert (x["offers"], x["accepted"], x["declined"], x["expired"]) == (4, 1, 1, 1)
    assert x["acceptance_percent"] == 33.3
    assert x["median_answer_minutes"] == 20.0
    assert x["hand_backs"] == 1
    # Live placements: four in ZA and two in ZB at 5.25 h (the ended one is not live).
    assert x["placed_hours"] == Decimal("31.50")
    y = rows["PROV-Y"]
    assert (y["offers"], y["acceptance_percent"], y["median_answer_minutes"]) == (1, None, None)
    assert list(rows) == ["PROV-X", "PROV-Y"]  # most offers first


def test_the_ranking_is_read_a_page_at_a_time_with_its_count(offers, market):
    x, y = offers["x"].pk, offers["y"].pk
    ranked = selectors.providers_offered_work(_scope())
    with CaptureQueriesContext(connection) as queries:
        ranked.read_page("2", 1)
        page = Paginator(ranked, 1).get_page("2")
        assert (list(page), page.paginator.count, page.has_previous()) == ([y], 2, True)
    assert len(queries) == 1  # the page and how many there are: one statement
    past = selectors.providers_offered_work(_scope())
    past.read_page("9", 1)
    assert list(Paginator(past, 1).get_page("9")) == [y]  # the last page
    first = selectors.providers_offered_work(_scope())
    first.read_page("not a number", 1)
    assert list(Paginator(first, 1).get_page("not a number")) == [x]
    everyone = selectors.providers_offered_work(_scope())
    with CaptureQueriesContext(connection) as queries:
        assert (list(everyone), len(everyone)) == ([x, y], 2)
    assert len(queries) == 1
    with pytest.raises(TypeError):
        everyone[0]
    none = selectors.providers_offered_work(_scope(zone_ids=()))
    assert (none[0:50], len(none)) == ([], 0)


def test_provider_performance_in_a_zone(offers, market):
    rows = {r["provider"]: r for r in _performance(_scope((market["ZA"].pk,)))}
    assert rows["PROV-X"]["offers"] == 3
    assert rows["PROV-X"]["hand_backs"] == 0
    assert rows["PROV-X"]["placed_hours"] == Decimal("21.00")


def test_shares_of_placed_hours_by_zone(offers, market):
    shares = {(s["zone"], s["provider"]): s for s in selectors.placed_hours_by_zone(_scope())}
    assert shares["ZA", "PROV-X"]["hours"] == Decimal("21.00")
    assert shares["ZA", "PROV-X"]["share_percent"] == 80.0
    assert shares["ZA", "PROV-Y"]["share_percent"] == 20.0
    assert shares["ZB", "PROV-X"]["share_percent"] == 100.0


def test_capacity_declared_against_hours_newly_placed(offers, market):
    factories.CapacityFactory(provider=offers["x"], zone=market["ZA"], hours=Decimal("12"))
    x = next(r for r in _performance(_scope()) if r["provider"] == "PROV-X")
    assert x["capacity_hours"] == Decimal("12.00")
    # Seven packages were placed with PROV-X in the last 12 weeks, 5.25 h each.
    assert x["new_hours"] == Decimal("36.75")


def test_spend_periods_cover_the_window_and_stop_at_its_end(market):
    scope = _scope()
    periods = selectors.spend_by_zone_and_period(scope)
    assert periods[0]["start"] <= scope.since < periods[0]["start"] + datetime.timedelta(days=28)
    # Today's visits are still being recorded: the last period stops at yesterday.
    assert periods[-1]["end"] == scope.until - datetime.timedelta(days=1)
    assert all((p["end"] - p["start"]).days < 28 for p in periods)
    assert [z["zone"] for z in periods[0]["zones"]] == ["ZA", "ZB", "ZC"]


def test_guaranteed_hours_count_each_contracts_own_provider_and_zone(db):
    """GX guaranteed 20 hours in GA and 10 in GB, GY 5 in GB: each against the weekly
    hours placed with its own provider in its own zone (GA: GX's 5.25 + 2; GB: GY's 3,
    none of GX's), in zone then provider order; a contract ended or guaranteeing
    nothing is left out, and so is an open package."""
    ga, gb = factories.ZoneFactory(code="GA"), factories.ZoneFactory(code="GB")
    gx, gy = factories.ProviderFactory(code="GX"), factories.ProviderFactory(code="GY")
    for zone, provider, hours in [(ga, gx, "5.25"), (ga, gx, "2"), (gb, gy, "3"), (ga, gy, "8")]:
        factories.PlacedPackageFactory(zone=zone, provider=provider, weekly_hours=Decimal(hours))
    factories.OpenPackageFactory(zone=gb, weekly_hours=Decimal("4"))
    factories.ContractFactory(zone=ga, provider=gx, guaranteed_hours=Decimal("20"))
    factories.ContractFactory(zone=gb, provider=gy, guaranteed_hours=Decimal("5"))
    factories.ContractFactory(zone=gb, provider=gx, guaranteed_hours=Decimal("10"))
    factories.ContractFactory(zone=ga, provider=gy)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    factories.ContractFactory(
        zone=gb,
        provider=factories.ProviderFactory(code="GZ"),
        guaranteed_hours=1,
        ends_on=yesterday,
    )
    rows = [
        (r["zone"], r["provider"], r["guaranteed_hours"], r["used_hours"], r["unfilled_hours"])
        for r in selectors.guaranteed_hours(_scope())
    ]
    assert rows == [
        ("GA", "GX", Decimal("20.00"), Decimal("7.25"), Decimal("12.75")),
        ("GB", "GX", Decimal("10.00"), Decimal("0"), Decimal("10.00")),
        ("GB", "GY", Decimal("5.00"), Decimal("3.00"), Decimal("2.00")),
    ]
    [only_gb] = selectors.guaranteed_hours(_scope((gb.pk,)))[1:]
    assert only_gb["provider"] == "GY" and only_gb["role"] == "Framework"


def daily_visit(minutes):
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    return {
        "days": days,
        "time": datetime.time(8),
        "duration_minutes": minutes,
        "purpose": "sitting",
    }


@time_machine.travel(datetime.datetime(2026, 12, 10, 12, tzinfo=UK), tick=False)
def test_spend_of_the_current_period_stops_at_yesterday(db):
    """Periods run from Monday 1 January 2024 every 28 days: this one from 30 November.
    A package in care from 3 December, 7 hours a week at 24.96 an hour: 3 to 9
    December is 7 hours, 174.72 pounds; today (10 December) is not counted yet."""
    zone = factories.ZoneFactory(code="ZS")
    other = factories.ZoneFactory(code="ZT")
    factories.PlacedPackageFactory(
        zone=zone, visits=[daily_visit(60)], start_date=datetime.date(2026, 12, 3)
    )
    factories.PlacedPackageFactory(
        zone=other, visits=[daily_visit(600)], start_date=datetime.date(2026, 12, 3)
    )
    today = timezone.localdate()
    scope = Scope(zone_ids=(zone.pk,), since=today, until=today, today=today)
    [period] = selectors.spend_by_zone_and_period(scope)
    assert (period["start"], period["end"]) == (
        datetime.date(2026, 11, 30),
        datetime.date(2026, 12, 9),
    )
    assert [z["zone"] for z in period["zones"]] == ["ZS"]
    assert period["total"]["commissioned_hours"] == Decimal("7.00")
    assert period["total"]["commissioned_pounds"] == Decimal("174.72")


def test_providers_and_spend_api(api, commissioner, offers, market):
    body = api(commissioner).get(PROVIDERS, {"page_size": 1}).json()
    assert body["count"] == 2
    assert body["results"][0]["provider"] == "PROV-X"
    assert body["results"][0]["placed_hours"] == "31.50"
    assert body["next"]
    shares = api(commissioner).get("/api/v1/dashboard/provider-shares/").json()
    assert {s["provider"] for s in shares["results"]} == {"PROV-X", "PROV-Y"}
    spend = api(commissioner).get("/api/v1/dashboard/spend/").json()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert spend["periods"][-1]["until"] == yesterday.isoformat()
    assert set(spend["periods"][-1]["total"]) >= {"commissioned_hours", "payable_pounds"}


@pytest.mark.parametrize(
    "url", [PROVIDERS, "/api/v1/dashboard/provider-shares/", "/api/v1/dashboard/spend/"]
)
def test_role_matrix(api, users, market, url):
    assert api().get(url).status_code == 401
    assert api(users["provider"]).get(url).status_code == 403
    for role in ("admin", "commissioner", "broker", "finance"):
        assert api(users[role]).get(url).status_code == 200, role
