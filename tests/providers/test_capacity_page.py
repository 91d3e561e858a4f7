import csv
import datetime
import io

import pytest
import time_machine

from providers.models import Capacity
from tests.factories import CapacityFactory, ContractFactory, ZoneFactory

pytestmark = pytest.mark.django_db

URL = "/providers/capacity/"
TODAY = "2026-03-04 10:00 +00:00"  # a Wednesday; its week starts on Monday 2 March


@pytest.fixture
def exeter(db):
    return ZoneFactory(code="EXETER", name="Exeter", districts=["EX1"])


def test_anonymous_is_sent_to_sign_in(page):
    assert page().get(URL)["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["broker", "finance"])
def test_brokers_and_finance_read_but_may_not_declare(page, users, exeter, role):
    CapacityFactory(provider=users["provider"].provider, zone=exeter)
    client = page(users[role])
    response = client.get(URL)
    assert response.status_code == 200
    assert b"Declare spare hours" not in response.content
    assert b"Alpha Home Care" in response.content
    form = {"zone": "EXETER", "week_start": "2026-03-02", "hours": "5", "provider": "PROV-A"}
    assert client.post(URL, form).status_code == 403


def test_navigation_shows_capacity_to_providers_only(page, users):
    lookup = "/zones/lookup/"
    assert b'href="/providers/capacity/"' in page(users["provider"]).get(lookup).content
    assert b'href="/providers/capacity/"' not in page(users["broker"]).get(lookup).content


@time_machine.travel(TODAY)
def test_a_provider_declares_spare_hours_for_its_own_organisation(page, users, exeter):
    client = page(users["provider"])
    body = client.get(URL).content.decode()
    assert "Week starting 2 Mar 2026" in body
    assert 'name="provider"' not in body  # no choice of organisation to make
    response = client.post(URL, {"zone": "EXETER", "week_start": "2026-03-09", "hours": "24"})
    assert response.status_code == 302
    declared = Capacity.objects.get()
    assert (declared.provider.code, declared.week_start, declared.hours) == (
        "PROV-A",
        datetime.date(2026, 3, 9),
        24,
    )
    assert "Alpha Home Care: 24 spare hours in Exeter" in client.get(URL).content.decode()


@time_machine.travel(TODAY)
def test_declaring_again_replaces_the_figure(page, users, exeter):
    client = page(users["provider"])
    for hours in ("24", "10"):
        client.post(URL, {"zone": "EXETER", "week_start": "2026-03-02", "hours": hours})
    assert Capacity.objects.get().hours == 10


@time_machine.travel(TODAY)
def test_a_provider_cannot_declare_for_another_organisation(page, users, exeter):
    page(users["provider"]).post(
        URL, {"provider": "PROV-B", "zone": "EXETER", "week_start": "2026-03-02", "hours": "8"}
    )
    assert list(Capacity.objects.values_list("provider__code", flat=True)) == ["PROV-A"]


@time_machine.travel(TODAY)
def test_a_provider_sees_only_its_own_declarations(page, users, exeter):
    CapacityFactory(provider=users["provider"].provider, zone=exeter, hours=11)
    CapacityFactory(provider=users["other_provider"].provider, zone=exeter, hours=77)
    body = page(users["provider"]).get(URL).content.decode()
    assert ">11<" in body
    assert ">77<" not in body


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"zone": "", "week_start": "2026-03-02", "hours": "5"}, "zone", "Choose the zone."),
        ({"zone": "NOWHERE", "week_start": "2026-03-02", "hours": "5"}, "zone", "Choose the zone"),
        (
            {"zone": "EXETER", "week_start": "2026-03-04", "hours": "5"},
            "week_start",
            "Choose the week from the list.",
        ),
        (
            {"zone": "EXETER", "week_start": "2026-03-02", "hours": "-5"},
            "hours",
            "Spare hours must be 0 or more.",
        ),
        (
            {"zone": "EXETER", "week_start": "2026-03-02", "hours": "many"},
            "hours",
            "Spare hours must be a number.",
        ),
        (
            {"zone": "EXETER", "week_start": "2026-03-02", "hours": ""},
            "hours",
            "Enter the spare hours, or 0 if none.",
        ),
    ],
)
def test_errors_show_in_the_summary_and_at_the_field(page, users, exeter, form, field, message):
    response = page(users["provider"]).post(URL, form)
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert f'href="#id_{field}"' in body
    # Twice: in the summary and at the field, where it must still say which answer is wrong.
    assert body.count(message) == 2
    assert not Capacity.objects.exists()


@time_machine.travel(TODAY)
def test_staff_must_choose_the_provider(page, users, exeter):
    response = page(users["commissioner"]).post(
        URL, {"zone": "EXETER", "week_start": "2026-03-02", "hours": "8"}
    )
    assert response.status_code == 200
    assert response.content.decode().count("Choose the provider.") == 2


@time_machine.travel(TODAY)
def test_commissioner_declares_for_a_chosen_provider(page, users, exeter):
    response = page(users["commissioner"]).post(
        URL, {"provider": "PROV-B", "zone": "EXETER", "week_start": "2026-03-02", "hours": "8"}
    )
    assert response.status_code == 302
    assert Capacity.objects.get().provider.code == "PROV-B"


def test_csv_and_query_count(page, users, exeter, django_assert_max_num_queries):
    client = page(users["commissioner"])
    CapacityFactory(provider=users["provider"].provider, zone=exeter, hours=9)
    rows = list(
        csv.reader(
            io.StringIO(b"".join(client.get(URL, {"format": "csv"}).streaming_content).decode())
        )
    )
    assert rows[0] == ["provider", "zone", "week_start", "hours", "remaining_hours", "declared_at"]
    assert rows[1][:2] == ["PROV-A", "EXETER"]
    with django_assert_max_num_queries(20) as few:
        client.get(URL)
    for _ in range(30):
        CapacityFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200


def test_a_providers_own_zones_come_first(page, users, exeter):
    ZoneFactory(code="AAA", name="Aardvark")
    ContractFactory(zone=exeter, provider=users["provider"].provider)
    body = page(users["provider"]).get(URL).content.decode()
    assert body.index('value="EXETER"') < body.index('value="AAA"')
