"""The dashboard part of the contract, against numbers worked out by hand (see conftest)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

UNFILLED = "/api/v1/dashboard/unfilled/"
TIME_TO_FILL = "/api/v1/dashboard/time-to-fill/"


def _yesterday():
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def test_unfilled_counts_open_packages_and_each_person_once(api, commissioner, market):
    body = api(commissioner).get(UNFILLED).json()
    zones = {z["zone"]: z for z in body["zones"]}
    assert {k: zones["ZA"][k] for k in ("packages", "hours", "people")} == {
        "packages": 3,
        "hours": "17.25",
        "people": 2,
    }
    assert {k: zones["ZB"][k] for k in ("packages", "hours", "people")} == {
        "packages": 3,
        "hours": "11.50",
        "people": 3,
    }
    assert {k: zones["ZC"][k] for k in ("packages", "hours", "people")} == {
        "packages": 0,
        "hours": "0.00",
        "people": 0,
    }
    # p1 waits in both zones but is one person.
    assert {k: body["total"][k] for k in ("packages", "hours", "people")} == {
        "packages": 6,
        "hours": "28.75",
        "people": 4,
    }


def test_unfilled_counts_people_waiting_in_hospital(api, commissioner, market):
    body = api(commissioner).get(UNFILLED).json()
    zones = {z["zone"]: z for z in body["zones"]}
    assert (zones["ZA"]["hospital_people"], zones["ZA"]["hospital_longest_days"]) == (2, 4)
    # The handed-back discharge package's person went home with care.
    assert (zones["ZB"]["hospital_people"], zones["ZB"]["hospital_longest_days"]) == (0, None)
    assert body["total"]["hospital_people"] == 2


def test_unfilled_zone_filter(api, commissioner, market):
    body = api(commissioner).get(UNFILLED, {"zone": "ZB,ZC"}).json()
    assert [z["zone"] for z in body["zones"]] == ["ZB", "ZC"]
    assert body["total"]["packages"] == 3
    assert body["total"]["people"] == 3


def test_time_to_fill_of_packages_placed_since_a_date(api, commissioner, market):
    body = api(commissioner).get(TIME_TO_FILL, {"since": _yesterday()}).json()
    # Minutes 30, 45, 60, 90, 120, 300: median 75; 4 of 6 within 90; 5 of 6 within 240.
    assert {
        k: body[k]
        for k in ("placed", "within_90_minutes_percent", "within_4_hours_percent", "median_minutes")
    } == {
        "placed": 6,
        "within_90_minutes_percent": 66.7,
        "within_4_hours_percent": 83.3,
        "median_minutes": 75.0,
    }
    # percentile_cont(0.9) of six values: position 4.5 between 120 and 300.
    assert body["p90_minutes"] == 210.0


def test_time_to_fill_with_nothing_placed(api, commissioner, market):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    body = api(commissioner).get(TIME_TO_FILL, {"since": tomorrow, "until": tomorrow}).json()
    assert body["placed"] == 0
    assert body["median_minutes"] is None
    assert body["within_90_minutes_percent"] is None


def test_time_to_fill_default_window_is_twelve_weeks(api, commissioner, market):
    body = api(commissioner).get(TIME_TO_FILL).json()
    assert body["placed"] == 7


def test_time_to_fill_breakdown(api, commissioner, market):
    body = api(commissioner).get(TIME_TO_FILL + "breakdown/", {"since": _yesterday()}).json()
    zones = {z["zone"]: z for z in body["by_zone"]}
    assert zones["ZA"]["placed"] == 5
    assert zones["ZA"]["median_minutes"] == 90.0
    assert zones["ZA"]["within_90_minutes_percent"] == 60.0
    assert zones["ZC"]["placed"] == 0
    priorities = {p["priority"]: p for p in body["by_priority"]}
    assert priorities["urgent"]["placed"] == 1
    assert priorities["urgent"]["median_minutes"] == 45.0
    assert sum(w["placed"] for w in body["by_week"]) == 6


@pytest.mark.parametrize(
    "query, field",
    [
        ({"since": "2025-13-01"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2025-06-02", "until": "2025-06-01"}, "until"),
        ({"zone": "NOPE"}, "zone"),
        ({"until": "9999-12-31"}, "until"),
    ],
)
def test_bad_filters_answer_400_naming_the_field(api, commissioner, market, query, field):
    response = api(commissioner).get(TIME_TO_FILL, query)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize(
    "query, field",
    [
        ({"since": "0001-01-01"}, "since"),
        ({"since": "2001-01-01", "until": "2020-01-01"}, "since"),
        ({"since": "2001-01-01"}, "since"),
    ],
)
def test_week_by_week_windows_are_bounded(api, commissioner, market, query, field):
    # A row per week: the breakdown (unlike the single figure) limits its window.
    response = api(commissioner).get(TIME_TO_FILL + "breakdown/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_zone_limited_broker_sees_only_their_zones(api, zone_broker, market):
    body = api(zone_broker).get(UNFILLED).json()
    assert [z["zone"] for z in body["zones"]] == ["ZA"]
    assert body["total"]["packages"] == 3
    assert api(zone_broker).get(TIME_TO_FILL, {"since": _yesterday()}).json()["placed"] == 5
    assert api(zone_broker).get(UNFILLED, {"zone": "ZB"}).status_code == 400


@pytest.mark.parametrize("url", [UNFILLED, TIME_TO_FILL, TIME_TO_FILL + "breakdown/"])
def test_role_matrix(api, users, market, url):
    assert api().get(url).status_code == 401
    assert api(users["provider"]).get(url).status_code == 403
    for role in ("admin", "commissioner", "broker", "finance"):
        assert api(users[role]).get(url).status_code == 200, role


@pytest.mark.parametrize(
    "url",
    [
        UNFILLED,
        TIME_TO_FILL,
        TIME_TO_FILL + "breakdown/",
        "/api/v1/dashboard/providers/",
        "/api/v1/dashboard/provider-shares/",
        "/api/v1/dashboard/spend/",
    ],
)
def test_api_query_counts_do_not_grow_with_the_data(api, commissioner, market, grow, url):
    client = api(commissioner)
    grow(2)  # at least one of everything, so that no query is skipped as empty

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    grow(12)
    assert count() == before


def test_page_and_api_give_the_same_time_to_fill(api, page, commissioner, market):
    since = _yesterday()
    from_api = api(commissioner).get(TIME_TO_FILL, {"since": since}).json()
    summary = (
        page(commissioner).get("/dashboard/time-to-fill/", {"since": since}).context["summary"]
    )
    assert {k: from_api[k] for k in summary} == summary
