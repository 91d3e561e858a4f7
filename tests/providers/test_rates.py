"""Rates over time and per zone: /api/v1/rates/, the rate in force on a day, PATCH of a
provider's hourly_rate, and who may see and add them."""

import datetime
from decimal import Decimal

import pytest

from providers.models import Rate
from providers.rates import RateBook
from tests.factories import EARLY, ProviderFactory, RateFactory, ZoneFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/rates/"
TODAY = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False)


@pytest.fixture
def devon(db):
    return ZoneFactory(code="URBAN"), ZoneFactory(code="RURAL")


def test_a_zones_own_rate_comes_before_the_every_zone_rate_from_its_first_day(provider_org, devon):
    urban, rural = devon
    RateFactory(
        provider=provider_org, zone=rural, hourly_rate=Decimal("27.68"), effective_from=TODAY
    )
    RateFactory(
        provider=provider_org,
        hourly_rate=Decimal("26.00"),
        effective_from=TODAY + datetime.timedelta(days=30),
    )
    book = RateBook.load([provider_org.pk])
    rate = partial_rate(book, provider_org.pk)
    assert rate(urban, TODAY) == Decimal("24.96")  # the factory's every-zone rate since EARLY
    assert rate(rural, TODAY - datetime.timedelta(days=1)) == Decimal("24.96")
    assert rate(rural, TODAY) == Decimal("27.68")
    assert rate(urban, TODAY + datetime.timedelta(days=30)) == Decimal("26.00")
    assert rate(rural, TODAY + datetime.timedelta(days=30)) == Decimal("27.68")
    # Before its first rate a provider's care is priced at that first rate.
    assert rate(urban, EARLY - datetime.timedelta(days=400)) == Decimal("24.96")


def partial_rate(book, provider_id):
    return lambda zone, day: book.rate_on(provider_id, zone.pk, day)


def test_commissioner_adds_a_rate_from_next_month_for_one_zone(
    api, commissioner, provider_org, devon
):
    response = api(commissioner).post(
        URL,
        {
            "provider": "PROV-A",
            "zone": "RURAL",
            "hourly_rate": "27.68",
            "effective_from": "2027-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["provider"], body["zone"], body["hourly_rate"], body["effective_from"]) == (
        "PROV-A",
        "RURAL",
        "27.68",
        "2027-01-01",
    )
    listed = api(commissioner).get(URL, {"provider": "PROV-A"}).json()
    assert [(r["zone"], r["hourly_rate"]) for r in listed["results"]] == [
        (None, "24.96"),
        ("RURAL", "27.68"),
    ]
    # The provider's own hourly_rate is still today's.
    assert api(commissioner).get("/api/v1/providers/PROV-A/").json()["hourly_rate"] == "24.96"


def test_an_every_zone_rate_is_null_zone_and_a_second_on_the_same_day_replaces_it(
    api, commissioner, provider_org
):
    body = {
        "provider": "PROV-A",
        "zone": None,
        "hourly_rate": "25.50",
        "effective_from": "2027-01-01",
    }
    assert api(commissioner).post(URL, body, format="json").status_code == 201
    again = api(commissioner).post(URL, {**body, "hourly_rate": "25.75"}, format="json")
    assert again.status_code == 200
    assert again.json()["hourly_rate"] == "25.75"
    assert Rate.objects.filter(provider=provider_org, effective_from="2027-01-01").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"effective_from": "2026-12-01"}, "effective_from"),  # yesterday: never re-priced
        ({"effective_from": "01/01/2027"}, "effective_from"),
        ({"effective_from": None}, "effective_from"),
        ({"hourly_rate": "-1.00"}, "hourly_rate"),
        ({"hourly_rate": "24.999"}, "hourly_rate"),
        ({"hourly_rate": "lots"}, "hourly_rate"),
        ({"zone": "NOWHERE"}, "zone"),
        ({"provider": "NOBODY"}, "provider"),
    ],
)
def test_bad_rates_answer_400_naming_the_field(api, commissioner, provider_org, change, field):
    body = {
        "provider": "PROV-A",
        "zone": None,
        "hourly_rate": "25.50",
        "effective_from": "2027-01-01",
    }
    response = api(commissioner).post(URL, {**body, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert Rate.objects.filter(provider=provider_org).count() == 1


def test_patching_a_providers_hourly_rate_adds_an_every_zone_rate_from_today(
    api, commissioner, provider_org
):
    response = api(commissioner).patch(
        "/api/v1/providers/PROV-A/", {"hourly_rate": "26.10"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["hourly_rate"] == "26.10"
    rates = list(
        provider_org.rates.order_by("effective_from").values_list("effective_from", "hourly_rate")
    )
    assert rates == [(EARLY, Decimal("24.96")), (TODAY, Decimal("26.10"))]
    book = RateBook.load([provider_org.pk])
    assert book.rate_on(provider_org.pk, None, TODAY - datetime.timedelta(days=1)) == Decimal(
        "24.96"
    )


def test_a_provider_sees_only_its_own_rates(api, users, provider_org, other_provider_org):
    listed = api(users["provider"]).get(URL).json()
    assert {r["provider"] for r in listed["results"]} == {users["provider"].provider.code}
    other = other_provider_org.rates.get()
    assert api(users["provider"]).get(f"{URL}{other.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("admin", 200, 201),
        ("commissioner", 200, 201),
        ("broker", 200, 403),
        ("finance", 200, 403),
        ("provider", 200, 403),
    ],
)
def test_role_matrix(api, users, provider_org, role, read, write):
    client = api(users[role])
    assert client.get(URL).status_code == read
    body = {
        "provider": "PROV-A",
        "zone": None,
        "hourly_rate": "25.50",
        "effective_from": "2027-01-01",
    }
    assert client.post(URL, body, format="json").status_code == write


def test_anonymous_gets_401(api):
    assert api(None).get(URL).status_code == 401


def test_the_list_takes_the_same_queries_however_many_rates(
    api, commissioner, django_assert_max_num_queries
):
    for _ in range(3):
        RateFactory(provider=ProviderFactory(), effective_from=TODAY)
    with django_assert_max_num_queries(8) as few:
        api(commissioner).get(URL)
    for _ in range(15):
        RateFactory(provider=ProviderFactory(), effective_from=TODAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api(commissioner).get(URL).json()["count"] == 36
