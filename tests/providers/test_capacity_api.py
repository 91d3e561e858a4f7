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
