"""Delivered visits one at a time: /api/v1/visits/ — matching, flags, checks and who may."""

import datetime

import pytest

from invoicing.models import DeliveredVisit
from tests.factories import FlexiblePlanFactory, OpenPackageFactory, PlacedPackageFactory
from tests.invoicing.conftest import MARCH_1, TODAY
from tests.invoicing.factories import record

URL = "/api/v1/visits/"
pytestmark = pytest.mark.django_db


def body(package, day=TODAY, start="08:00", end="08:45", carers=1):
    return {
        "package": package.pk,
        "date": day.isoformat(),
        "actual_start": start,
        "actual_end": end,
        "carers": carers,
    }


def test_provider_records_a_visit_matched_to_the_planned_one(api, provider_user, package):
    response = api(provider_user).post(
        URL, body(package, start="08:03", end="08:46"), format="json"
    )
    assert response.status_code == 201, response.json()
    visit = response.json()
    planned = package.current_visits.get()
    assert visit["planned_visit"] == planned.pk
    assert visit["planned_start"] == "08:00"
    assert visit["actual_start"] == "08:03"
    assert visit["actual_minutes"] == 43
    assert visit["payable_minutes"] == 45  # two minutes short: within tolerance
    assert visit["provider"] == "PROV-A"
    assert (visit["missed"], visit["short"], visit["late"], visit["unplanned"]) == (
        False,
        False,
        False,
        False,
    )
    assert visit["invoice"] is None


def test_short_late_and_missed_visits_are_flagged(provider_user, package):
    short = record(provider_user, package, MARCH_1, "08:00", "08:30")
    late = record(provider_user, package, MARCH_1 + datetime.timedelta(days=1), "08:31", "09:16")
    missed = record(provider_user, package, MARCH_1 + datetime.timedelta(days=2), "08:00", "08:00")
    assert (short.short, short.payable_minutes) == (True, 30)
    assert (late.late, late.short, late.payable_minutes) == (True, False, 45)
    assert (missed.missed, missed.payable_minutes, missed.short) == (True, 0, False)


def test_a_visit_past_midnight_counts_its_time(now, provider_user, provider_org):
    package = PlacedPackageFactory(
        provider=provider_org,
        start_date=MARCH_1,
        visits=[
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": datetime.time(23, 30),
                "duration_minutes": 60,
                "carers": 1,
                "purpose": "sitting",
            }
        ],
    )
    within = record(provider_user, package, MARCH_1, "23:40", "00:35")
    short = record(provider_user, package, datetime.date(2025, 3, 2), "23:40", "00:30")
    assert (within.actual_minutes, within.payable_minutes, within.short) == (55, 60, False)
    assert (short.actual_minutes, short.payable_minutes, short.short) == (50, 50, True)


def test_a_morning_call_made_in_the_evening_is_late(provider_user, package):
    visit = record(provider_user, package, MARCH_1, "21:00", "21:45")
    assert (visit.planned_start, visit.late, visit.payable_minutes) == (datetime.time(8), True, 45)


def test_double_handed_call_is_paid_per_carer(now, provider_user, provider_org):
    package = PlacedPackageFactory(
        provider=provider_org,
        start_date=MARCH_1,
        visits=[
            {
                "days": ["sat", "sun"],
                "time": datetime.time(9, 0),
                "duration_minutes": 60,
                "carers": 2,
                "purpose": "personal_care",
            }
        ],
    )
    both = record(provider_user, package, MARCH_1, "09:00", "10:00", carers=2)
    alone = record(provider_user, package, datetime.date(2025, 3, 2), "09:00", "10:00", carers=1)
    assert (both.payable_minutes, both.short) == (120, False)
    assert (alone.payable_minutes, alone.short) == (60, True)


def test_each_visit_matches_the_nearest_planned_visit_of_its_day(now, provider_user, provider_org):
    package = PlacedPackageFactory(
        provider=provider_org,
        start_date=MARCH_1,
        visits=[
            {
                "days": ["wed"],
                "time": datetime.time(hour),
                "duration_minutes": 30,
                "carers": 1,
                "purpose": "meal",
            }
            for hour in (8, 12, 17)
        ],
    )
    lunch = record(provider_user, package, TODAY, "11:40", "12:10")
    breakfast = record(provider_user, package, TODAY, "08:10", "08:40")
    second_lunch = record(provider_user, package, TODAY, "12:05", "12:35")
    assert lunch.planned_start == datetime.time(12)
    assert breakfast.planned_start == datetime.time(8)
    # 12:00 is taken: the nearest free planned visit is 17:00 (not 08:00).
    assert second_lunch.planned_start == datetime.time(17)
    extra = record(provider_user, package, TODAY, "20:00", "20:30")
    assert (extra.unplanned, extra.payable_minutes) == (True, 0)


def test_an_unplanned_visit_pays_under_a_flexible_plan(now, provider_user, package):
    FlexiblePlanFactory(package=package)
    record(provider_user, package, TODAY, "08:00", "08:45")
    extra = record(provider_user, package, TODAY, "15:00", "15:47")
    assert (extra.unplanned, extra.payable_minutes) == (True, 45)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"date": "2025-02-28"}, "date"),
        ({"date": "2025-03-13"}, "date"),
        ({"date": "12/03/2025"}, "date"),
        ({"actual_start": "8am"}, "actual_start"),
        ({"actual_end": "25:00"}, "actual_end"),
        ({"carers": 3}, "carers"),
        ({"carers": "two"}, "carers"),
        ({"package": "abc"}, "package"),
        ({"package": 999999}, "package"),
        ({"package": 10**30}, "package"),
        ({"package": None}, "package"),
        ({"date": {"y": 2025}}, "date"),
    ],
)
def test_bad_visits_are_400_naming_the_field(api, provider_user, package, change, field):
    response = api(provider_user).post(URL, {**body(package), **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not DeliveredVisit.objects.exists()


def test_missing_fields_are_400(api, provider_user, package):
    response = api(provider_user).post(URL, {"package": package.pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"date", "actual_start", "actual_end", "carers"}


def test_a_list_body_is_400_not_500(api, provider_user, package):
    response = api(provider_user).post(URL, [body(package)], format="json")
    assert response.status_code == 400


def test_a_package_placed_with_another_provider_is_400_naming_package(
    api, provider_user, other_package
):
    response = api(provider_user).post(URL, body(other_package), format="json")
    assert response.status_code == 400
    assert "not placed with your organisation" in response.json()["package"][0]


def test_an_open_package_is_400(now, api, provider_user, provider_org):
    package = OpenPackageFactory(start_date=MARCH_1)
    response = api(provider_user).post(URL, body(package), format="json")
    assert response.status_code == 400
    assert "package" in response.json()


def test_a_visit_after_the_package_ended_is_400(api, provider_user, package):
    package.ended_on = datetime.date(2025, 3, 10)
    package.save(update_fields=["ended_on"])
    response = api(provider_user).post(URL, body(package), format="json")
    assert response.status_code == 400
    assert "ended" in response.json()["date"][0]


def test_the_same_visit_twice_is_400(api, provider_user, package):
    client = api(provider_user)
    assert client.post(URL, body(package), format="json").status_code == 201
    response = client.post(URL, body(package), format="json")
    assert response.status_code == 400
    assert "already recorded" in response.json()["actual_start"][0]


def test_today_is_the_uk_date(time_machine, api, provider_user, provider_org):
    # 23:30 UTC on 30 March 2025 is 00:30 on 31 March in London (BST).
    time_machine.move_to(datetime.datetime(2025, 3, 30, 23, 30, tzinfo=datetime.UTC), tick=False)
    package = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
    day = datetime.date(2025, 3, 31)
    response = api(provider_user).post(URL, body(package, day=day), format="json")
    assert response.status_code == 201, response.json()
    tomorrow = body(package, day=day + datetime.timedelta(days=1))
    assert api(provider_user).post(URL, tomorrow, format="json").status_code == 400


def test_admin_records_for_the_placed_provider(api, admin_user, package):
    response = api(admin_user).post(URL, body(package), format="json")
    assert response.status_code == 201
    assert response.json()["provider"] == "PROV-A"


@pytest.mark.parametrize(
    ("role", "status"),
    [("broker", 403), ("commissioner", 403), ("finance", 403), ("other_provider", 400)],
)
def test_who_may_record_visits(api, users, package, role, status):
    assert api(users[role]).post(URL, body(package), format="json").status_code == status


def test_anonymous_is_401(api, package):
    assert api().get(URL).status_code == 401
    assert api().post(URL, body(package), format="json").status_code == 401


@pytest.mark.parametrize(
    ("role", "status", "count"),
    [
        ("admin", 200, 2),
        ("finance", 200, 2),
        ("commissioner", 200, 2),
        ("provider", 200, 1),
        ("other_provider", 200, 1),
        ("broker", 403, None),
    ],
)
def test_who_sees_which_visits(api, users, package, other_package, role, status, count):
    record(users["provider"], package, TODAY, "08:00", "08:45")
    record(users["other_provider"], other_package, TODAY, "08:00", "08:45")
    response = api(users[role]).get(URL)
    assert response.status_code == status
    if count is not None:
        assert response.json()["count"] == count


def test_another_providers_visit_is_404(api, users, other_package):
    visit = record(users["other_provider"], other_package, TODAY, "08:00", "08:45")
    assert api(users["provider"]).get(f"{URL}{visit.pk}/").status_code == 404
    assert api(users["other_provider"]).get(f"{URL}{visit.pk}/").status_code == 200


def test_visit_filters(api, provider_user, package):
    record(provider_user, package, MARCH_1, "08:00", "08:20")
    record(provider_user, package, TODAY, "08:00", "08:45")
    client = api(provider_user)
    assert client.get(URL, {"flag": "short"}).json()["count"] == 1
    assert client.get(URL, {"date_from": "2025-03-02"}).json()["count"] == 1
    assert client.get(URL, {"invoiced": "false"}).json()["count"] == 2
    assert client.get(URL, {"package": package.pk}).json()["count"] == 2
    assert client.get(URL, {"flag": "nonsense"}).status_code == 400


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "1.5"])
def test_odd_filter_values_are_not_500(api, provider_user, package, value):
    for name in ("package", "invoice"):
        assert api(provider_user).get(URL, {name: value}).status_code in (200, 400)
    assert api(provider_user).get(f"{URL}{value}/").status_code in (400, 404)


def test_visit_list_queries_do_not_grow(api, provider_user, package, django_assert_max_num_queries):
    client = api(provider_user)
    for offset in range(10):
        record(provider_user, package, MARCH_1 + datetime.timedelta(days=offset), "08:00", "08:45")
    with django_assert_max_num_queries(4):
        response = client.get(URL, {"page_size": 500})
    assert response.json()["count"] == 10
