import datetime

import pytest

from providers.models import Capacity
from tests.factories import CapacityFactory, ZoneFactory

pytestmark = pytest.mark.django_db

CAPACITY = "/api/v1/capacity/"
MONDAY = "2026-03-02"


@pytest.fixture
def exeter(db):
    return ZoneFactory(code="EXETER", districts=["EX1"])


def declaration(**changes):
    return {"provider": "PROV-A", "zone": "EXETER", "week_start": MONDAY, "hours": "20", **changes}


def test_anonymous_gets_401(api, exeter):
    assert api().get(CAPACITY).status_code == 401
    assert api().post(CAPACITY, declaration(), format="json").status_code == 401


@pytest.mark.parametrize("role", ["broker", "finance"])
def test_brokers_and_finance_read_but_do_not_declare(api, users, exeter, role):
    CapacityFactory(provider=users["provider"].provider, zone=exeter)
    client = api(users[role])
    assert client.get(CAPACITY).json()["count"] == 1
    assert client.post(CAPACITY, declaration(), format="json").status_code == 403


def test_a_provider_declares_for_its_own_organisation(api, users, exeter):
    response = api(users["provider"]).post(CAPACITY, declaration(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["provider"] == "PROV-A"
    assert response.json()["hours"] == "20.00"
    assert response.json()["week_start"] == MONDAY


def test_a_provider_may_leave_out_its_own_code(api, users, exeter):
    body = declaration()
    del body["provider"]
    response = api(users["provider"]).post(CAPACITY, body, format="json")
    assert response.status_code == 201
    assert response.json()["provider"] == "PROV-A"


def test_staff_must_name_the_provider(api, users, exeter):
    body = declaration()
    del body["provider"]
    response = api(users["commissioner"]).post(CAPACITY, body, format="json")
    assert response.status_code == 400
    assert "provider" in response.json()


def test_a_provider_may_not_declare_for_another_organisation(api, users, exeter):
    response = api(users["provider"]).post(CAPACITY, declaration(provider="PROV-B"), format="json")
    assert response.status_code == 400
    assert response.json()["provider"] == [
        "You can declare capacity only for your own organisation."
    ]
    assert not Capacity.objects.exists()


@pytest.mark.parametrize("role", ["admin", "commissioner"])
def test_commissioner_and_admin_declare_for_any_provider(api, users, exeter, role):
    response = api(users[role]).post(CAPACITY, declaration(provider="PROV-B"), format="json")
    assert response.status_code == 201


def test_a_provider_sees_its_own_declarations_only(api, users, exeter):
    own = CapacityFactory(provider=users["provider"].provider, zone=exeter)
    other = CapacityFactory(provider=users["other_provider"].provider, zone=exeter)
    client = api(users["provider"])
    assert [c["id"] for c in client.get(CAPACITY).json()["results"]] == [own.pk]
    assert client.get(f"{CAPACITY}{other.pk}/").status_code == 404
    assert client.get(f"{CAPACITY}{own.pk}/").status_code == 200


def test_declaring_the_same_week_again_updates_it(api, users, exeter):
    client = api(users["provider"])
    assert client.post(CAPACITY, declaration(hours=20), format="json").status_code == 201
    again = client.post(CAPACITY, declaration(hours="12.5"), format="json")
    assert again.status_code == 200
    assert again.json()["hours"] == "12.50"
    assert Capacity.objects.get().hours == 12.5


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"week_start": "2026-03-04"}, "week_start"),
        ({"week_start": "not a date"}, "week_start"),
        ({"week_start": None}, "week_start"),
        ({"hours": -1}, "hours"),
        ({"hours": "many"}, "hours"),
        ({"hours": 10**9}, "hours"),
        ({"zone": "NOWHERE"}, "zone"),
        ({"provider": "NOBODY"}, "provider"),
    ],
)
def test_bad_declaration_is_400_naming_the_field(api, users, exeter, changes, field):
    response = api(users["commissioner"]).post(CAPACITY, declaration(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Capacity.objects.exists()


def test_a_week_that_is_not_a_monday_names_the_monday(api, users, exeter):
    response = api(users["provider"]).post(
        CAPACITY, declaration(week_start="2026-03-04"), format="json"
    )
    assert response.json()["week_start"] == [
        "4 Mar 2026 is a Wednesday: a week starts on a Monday (that week's is 2 Mar 2026)."
    ]


def test_filters_by_zone_and_week(api, users, exeter):
    monday = datetime.date(2026, 3, 2)
    CapacityFactory(provider=users["provider"].provider, zone=exeter, week_start=monday)
    CapacityFactory(
        provider=users["provider"].provider,
        zone=exeter,
        week_start=monday + datetime.timedelta(weeks=1),
    )
    CapacityFactory(provider=users["provider"].provider, zone=ZoneFactory(), week_start=monday)
    client = api(users["broker"])
    assert client.get(CAPACITY, {"zone": "EXETER"}).json()["count"] == 2
    assert client.get(CAPACITY, {"week_start": "2026-03-09"}).json()["count"] == 1
    assert client.get(CAPACITY, {"week_from": "2026-03-03"}).json()["count"] == 1
    assert client.get(CAPACITY, {"provider": "PROV-A"}).json()["count"] == 3


def test_list_query_count_does_not_grow(api, users, exeter, django_assert_max_num_queries):
    client = api(users["commissioner"])
    for _ in range(3):
        CapacityFactory()
    with django_assert_max_num_queries(6) as few:
        client.get(CAPACITY)
    for _ in range(30):
        CapacityFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(CAPACITY).json()["count"] == 33


BULK = "/api/v1/capacity/bulk/"


@pytest.fixture
def teign(db):
    return ZoneFactory(code="TEIGN", districts=["TQ12"])


def test_bulk_declares_several_zones_and_weeks_at_once(api, users, exeter, teign):
    body = {
        "declarations": [
            {"zone": "EXETER", "week_start": "2026-03-02", "hours": "20"},
            {"zone": "EXETER", "week_start": "2026-03-09", "hours": "12.5"},
            {"zone": "TEIGN", "week_start": "2026-03-02", "hours": "0"},
        ]
    }
    response = api(users["provider"]).post(BULK, body, format="json")

    assert response.status_code == 200, response.json()
    answered = {(r["zone"], r["week_start"]): r["remaining_hours"] for r in response.json()}
    assert answered == {
        ("EXETER", "2026-03-02"): "20.00",
        ("EXETER", "2026-03-09"): "12.50",
        ("TEIGN", "2026-03-02"): "0.00",
    }
    assert set(Capacity.objects.values_list("provider__code", flat=True)) == {"PROV-A"}


@pytest.mark.parametrize(
    ("cell", "field", "words"),
    [
        ({"zone": "EXETER", "week_start": "2026-03-03", "hours": "5"}, "week_start", "Tuesday"),
        ({"zone": "EXETER", "week_start": "2026-03-09", "hours": "-1"}, "hours", "0"),
        ({"zone": "NOWHERE", "week_start": "2026-03-09", "hours": "5"}, "zone", "NOWHERE"),
    ],
)
def test_a_bad_declaration_is_a_400_at_its_index_and_nothing_is_saved(
    api, users, exeter, cell, field, words
):
    good = {"zone": "EXETER", "week_start": "2026-03-02", "hours": "20"}
    response = api(users["provider"]).post(BULK, {"declarations": [good, cell]}, format="json")

    assert response.status_code == 400
    errors = response.json()["declarations"]
    # Keyed by the bad declaration's index (the first is fine).
    assert list(errors) == ["1"] and words in " ".join(errors["1"][field])
    assert not Capacity.objects.exists()


def test_bulk_refuses_a_repeat_another_organisation_and_an_empty_list(api, users, exeter):
    cell = {"zone": "EXETER", "week_start": "2026-03-02", "hours": "20"}
    client = api(users["provider"])
    twice = client.post(BULK, {"declarations": [cell, cell]}, format="json")
    assert "given twice" in twice.json()["declarations"][0]
    theirs = client.post(BULK, {"provider": "PROV-B", "declarations": [cell]}, format="json")
    assert theirs.json()["provider"] == ["You can declare capacity only for your own organisation."]
    assert client.post(BULK, {"declarations": []}, format="json").status_code == 400
    staff = api(users["commissioner"]).post(BULK, {"declarations": [cell]}, format="json")
    assert staff.json() == {"provider": ["This field is required."]}
    assert (
        api(users["broker"]).post(BULK, {"declarations": [cell]}, format="json").status_code == 403
    )
    assert not Capacity.objects.exists()
