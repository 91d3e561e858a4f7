"""The dashboard part of the contract, driven only through the public API.

Packages are referred, submitted, placed, handed back, re-placed, ended and
cancelled through their endpoints, at known UK times (British Summer Time,
so that a UK calendar date and a UTC date differ at midnight), and the two
contract endpoints are checked against numbers worked out by hand below.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from packages.nhs import demo_nhs_number
from tests import factories

UK = ZoneInfo("Europe/London")
UNFILLED = "/api/v1/dashboard/unfilled/"
TIME_TO_FILL = "/api/v1/dashboard/time-to-fill/"
PACKAGES = "/api/v1/packages/"
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _at(day, hour, minute=0):
    return datetime.datetime(2026, 7, day, hour, minute, tzinfo=UK)


class Market:
    """Acts through the API as a broker and a provider, at the times given."""

    def __init__(self, api, broker, provider_user):
        self.broker = api(broker)
        self.provider = api(provider_user)

    def refer(self, when, *, serial, postcode="EX1 1AA", minutes=45, carers=1):
        body = {
            "person": {
                "nhs_number": demo_nhs_number(serial),
                "given_name": "Ada",
                "family_name": "Ashworth",
                "date_of_birth": "1938-05-17",
                "address_line": "1 Fore Street",
                "postcode": postcode,
            },
            "source": "community",
            "priority": "standard",
            "start_date": "2026-06-29",
            # The same person may be referred again from another address (another zone).
            "update_person": True,
            "visits": [
                {
                    "days": EVERY_DAY,
                    "time": "08:00",
                    "duration_minutes": minutes,
                    "carers": carers,
                    "purpose": "personal_care",
                }
            ],
        }
        with time_machine.travel(when, tick=False):
            response = self.broker.post(PACKAGES, body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()["id"]

    def act(self, when, package_id, action, body=None, as_provider=False):
        client = self.provider if as_provider else self.broker
        with time_machine.travel(when, tick=False):
            response = client.post(f"{PACKAGES}{package_id}/{action}/", body or {}, format="json")
        assert response.status_code == 200, response.json()
        return response.json()

    def open(self, when, **referral):
        package_id = self.refer(when, **referral)
        self.act(when, package_id, "submit")
        return package_id

    def filled(self, submitted, placed, **referral):
        package_id = self.open(submitted, **referral)
        self.act(
            placed,
            package_id,
            "assign",
            {"provider": "PROV-A", "override_reason": "the market's test"},
        )
        return package_id


@pytest.fixture
def market(api, broker, provider_user):
    """Zones EXE (EX1) and NDV (EX31), and QUIET where nothing is open."""
    factories.ZoneFactory(code="EXE", name="Exeter", districts=["EX1"])
    factories.ZoneFactory(code="NDV", name="North Devon", districts=["EX31"])
    factories.ZoneFactory(code="QUIET", name="Quiet", districts=["EX16"])
    return Market(api, broker, provider_user)


NOW = _at(3, 12)


@pytest.fixture
def filled(market):
    """Minutes from submission to placement, by hand:

    placed 1 July (UK): 75 (submitted 30 June 23:00 BST, placed 00:15 BST, which
    is still 30 June in UTC), 30, 180, 60 (then ended); placed 2 July: 1,680
    (placed 1 July after 60 minutes, handed back on 2 July, placed again, so its
    own submitted_at to placed_at). Placed 30 June 23:50 BST: not since 1 July.
    A cancelled and a draft package are never placed.
    So since 1 July: 5 placed; 30, 60, 75, 180, 1680: median 75; within 90
    minutes 3 of 5 (60%); within 4 hours 4 of 5 (80%).
    """
    market.filled(_at(1, 0, 15) - datetime.timedelta(minutes=75), _at(1, 0, 15), serial=1)
    market.filled(
        _at(1, 0) - datetime.timedelta(hours=14),
        _at(1, 0) - datetime.timedelta(minutes=10),
        serial=2,
    )
    market.filled(_at(1, 9), _at(1, 9, 30), serial=3, postcode="EX31 1AA")
    market.filled(_at(1, 10), _at(1, 13), serial=4, postcode="EX31 1AA")
    ended = market.filled(_at(1, 10), _at(1, 11), serial=5)
    market.act(_at(2, 9), ended, "end", {"ended_on": "2026-07-01"})
    again = market.filled(_at(1, 8), _at(1, 9), serial=6)
    market.act(_at(2, 10), again, "hand-back", {"reason": "No carers"}, as_provider=True)
    market.act(
        _at(2, 12), again, "assign", {"provider": "PROV-A", "override_reason": "the market's test"}
    )
    cancelled = market.open(_at(1, 9), serial=7)
    market.act(_at(1, 10), cancelled, "cancel", {"reason": "Family will care"})
    market.refer(_at(1, 9), serial=8)
    return market


def _contract(body):
    keys = ("placed", "within_90_minutes_percent", "within_4_hours_percent", "median_minutes")
    return {k: body[k] for k in keys}


@time_machine.travel(NOW, tick=False)
def test_time_to_fill_since_a_uk_date(api, commissioner, filled):
    body = api(commissioner).get(TIME_TO_FILL, {"since": "2026-07-01"}).json()
    assert _contract(body) == {
        "placed": 5,
        "within_90_minutes_percent": 60.0,
        "within_4_hours_percent": 80.0,
        "median_minutes": 75.0,
    }


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("since", ["2026-04-01", "2019-01-01", "1970-01-01", "0001-01-01"])
def test_any_earlier_since_counts_every_placement(api, commissioner, filled, since):
    # Six placements in all: the five above and the one of 30 June (830 minutes).
    body = api(commissioner).get(TIME_TO_FILL, {"since": since})
    assert body.status_code == 200, body.json()
    assert _contract(body.json()) == {
        "placed": 6,
        "within_90_minutes_percent": 50.0,
        "within_4_hours_percent": 66.7,
        "median_minutes": 127.5,
    }


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("since", ["2026-07-04", "2027-01-01"])
def test_nothing_placed_since_answers_nulls(api, commissioner, filled, since):
    body = api(commissioner).get(TIME_TO_FILL, {"since": since})
    assert body.status_code == 200
    assert _contract(body.json()) == {
        "placed": 0,
        "within_90_minutes_percent": None,
        "within_4_hours_percent": None,
        "median_minutes": None,
    }


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("since", ["2026-13-01", "2026-02-30", "yesterday", "20260701", "1/7/2026"])
def test_a_malformed_since_answers_400_naming_it(api, commissioner, market, since):
    response = api(commissioner).get(TIME_TO_FILL, {"since": since})
    assert response.status_code == 400
    assert list(response.json()) == ["since"]


@time_machine.travel(NOW, tick=False)
def test_without_since_the_last_twelve_weeks(api, commissioner, filled):
    body = api(commissioner).get(TIME_TO_FILL).json()
    assert body["since"] == "2026-04-13"  # the Monday twelve weeks back, this week included
    assert body["placed"] == 6


@pytest.fixture
def waiting(filled):
    """Open now, by hand (X has three open packages, in two zones):

    EXE: X 5.25 h + X 7 h (double-handed) -> 2 packages, 12.25 h, 1 person;
         Y's draft is not counted.
    NDV: X 5.25 h + W 3.5 h (placed, then handed back: open again) -> 2, 8.75 h, 2;
         Y's cancelled package is not counted.
    QUIET: nothing open, listed with zeros. Total: 4 packages, 21 h, 2 people.
    """
    filled.open(_at(3, 9), serial=20)
    filled.open(_at(3, 9), serial=20, minutes=30, carers=2)
    filled.open(_at(3, 9), serial=20, postcode="EX31 1AA")
    filled.refer(_at(3, 9), serial=21)
    cancelled = filled.open(_at(3, 9), serial=21, postcode="EX31 1AA")
    filled.act(_at(3, 10), cancelled, "cancel", {"reason": "Moved away"})
    handed_back = filled.filled(_at(2, 9), _at(2, 10), serial=22, postcode="EX31 1AA", minutes=30)
    filled.act(_at(3, 11), handed_back, "hand-back", {"reason": "No carers"}, as_provider=True)
    return filled


def _numbers(row):
    return {k: row[k] for k in ("packages", "hours", "people")}


@time_machine.travel(NOW, tick=False)
def test_unfilled_by_zone_and_in_total(api, commissioner, waiting):
    body = api(commissioner).get(UNFILLED).json()
    assert [(z["zone"], _numbers(z)) for z in body["zones"]] == [
        ("EXE", {"packages": 2, "hours": "12.25", "people": 1}),
        ("NDV", {"packages": 2, "hours": "8.75", "people": 2}),
        ("QUIET", {"packages": 0, "hours": "0.00", "people": 0}),
    ]
    assert _numbers(body["total"]) == {"packages": 4, "hours": "21.00", "people": 2}


@time_machine.travel(NOW, tick=False)
def test_a_broker_limited_to_a_zone_sees_only_it(api, waiting):
    broker = factories.BrokerFactory(username="ndv.broker")
    broker.zones.set([factories.ZoneFactory(code="NDV")])
    client = api(broker)
    body = client.get(UNFILLED).json()
    assert [z["zone"] for z in body["zones"]] == ["NDV"]
    assert _numbers(body["total"]) == {"packages": 2, "hours": "8.75", "people": 2}
    # Placed in NDV since 1 July: 30 and 180 minutes.
    assert _contract(client.get(TIME_TO_FILL, {"since": "2026-07-01"}).json()) == {
        "placed": 2,
        "within_90_minutes_percent": 50.0,
        "within_4_hours_percent": 100.0,
        "median_minutes": 105.0,
    }
    assert client.get(UNFILLED, {"zone": "EXE"}).status_code == 400


@pytest.mark.parametrize("url", [UNFILLED, TIME_TO_FILL])
def test_who_may_read_the_contract_endpoints(api, users, url):
    assert api().get(url).status_code == 401
    assert api(users["provider"]).get(url).status_code == 403
    for role in ("admin", "commissioner", "broker", "finance"):
        assert api(users[role]).get(url).status_code == 200, role


@pytest.mark.parametrize("query", [{"since": "2019-01-01"}, {"since": "x", "until": "y"}])
def test_unfilled_is_now_whatever_dates_the_query_carries(api, commissioner, query):
    assert api(commissioner).get(UNFILLED, query).status_code == 200
