"""The polled package pages are reused while nothing they show has changed (core.fresh),
and show any change committed since at once: the worklist, the package page and its live
part, the packages API's list.

The tests commit (transaction=True): inside a test's transaction no page is reused.
"""

import datetime
from decimal import Decimal

import pytest

from core import clock
from packages.models import Package, PackageEvent, Person, PersonAccess
from providers.models import Capacity
from tests.brokering.factories import OfferFactory
from tests.factories import BrokerFactory, OpenPackageFactory, ProviderFactory, ZoneFactory
from tests.reuse import committed_elsewhere, signed_in
from zones.models import Zone

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def zone():
    return ZoneFactory(code="EXE", name="Exeter")


@pytest.fixture
def package(zone):
    return OpenPackageFactory(zone=zone, person__postcode="EX2 4QD")


@pytest.fixture
def broker():
    return BrokerFactory(username="broker1")


def declare_capacity(package):
    Capacity.objects.create(
        provider=ProviderFactory(),
        zone=package.zone,
        week_start=clock.week_start(clock.today()),
        hours=Decimal("12.5"),
    )


# What the worklist shows, each changed by another connection, and what then appears.
CHANGES = {
    "priority": (
        lambda p: Package.objects.filter(pk=p.pk).update(priority="urgent"),
        'govuk-tag--red">Urgent',
    ),
    "zone": (lambda p: Zone.objects.filter(pk=p.zone_id).update(name="Exeter City"), "Exeter City"),
    "person": (
        lambda p: type(p.person).objects.filter(pk=p.person_id).update(postcode="EX9 1AA"),
        "EX9, from",
    ),
    "offer": (lambda p: OfferFactory(package=p, provider__name="Gamma Care"), "Gamma Care"),
    "capacity": (declare_capacity, "12.5 h"),
    "escalation": (
        lambda p: Package.objects.filter(pk=p.pk).update(escalated=True),
        "app-status-tag--escalated",
    ),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "table"])
@pytest.mark.parametrize("change", CHANGES)
def test_the_worklist_shows_a_change_made_since(broker, package, change, htmx):
    client = signed_in(broker)
    headers = {"HX-Request": "true"} if htmx else {}
    first = client.get("/packages/worklist/", headers=headers)
    assert client.get("/packages/worklist/", headers=headers).content == first.content
    write, appears = CHANGES[change]
    assert appears not in first.content.decode()
    committed_elsewhere(lambda: write(package))
    assert appears in client.get("/packages/worklist/", headers=headers).content.decode()


def test_a_reused_worklist_costs_a_few_queries_however_many_packages(
    broker, zone, django_assert_max_num_queries
):
    client = signed_in(broker)
    OpenPackageFactory.create_batch(2, zone=zone)
    rendered = client.get("/packages/worklist/")
    with django_assert_max_num_queries(4) as reused:  # session, user, device, the check
        assert client.get("/packages/worklist/").content == rendered.content
    queries = len(reused)
    OpenPackageFactory.create_batch(25, zone=zone)
    client.get("/packages/worklist/")
    with django_assert_max_num_queries(queries):
        client.get("/packages/worklist/")


def test_a_broker_never_gets_another_brokers_worklist(zone, package):
    here = BrokerFactory(username="here")
    here.zones.add(zone)
    there = BrokerFactory(username="there")
    there.zones.add(ZoneFactory(code="MID"))
    assert f"Package {package.pk}<" in signed_in(here).get("/packages/worklist/").content.decode()
    elsewhere = signed_in(there).get("/packages/worklist/").content.decode()
    assert f"Package {package.pk}<" not in elsewhere
    assert "Sign out there" in elsewhere


def test_a_search_logs_the_people_shown_on_every_request(broker, package):
    client = signed_in(broker)
    url = f"/packages/worklist/?search={package.person.family_name}"
    first = client.get(url)
    assert client.get(url).content == first.content
    assert PersonAccess.objects.filter(person=package.person, user=broker).count() == 2


def test_the_worklist_renders_again_each_minute(broker, package, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 4, 9, 30, 5, tzinfo=datetime.UTC), tick=False)
    client = signed_in(broker)
    assert "Updated at 09:30" in client.get("/packages/worklist/").content.decode()
    time_machine.move_to(datetime.datetime(2026, 12, 4, 9, 31, 5, tzinfo=datetime.UTC), tick=False)
    assert "Updated at 09:31" in client.get("/packages/worklist/").content.decode()


def test_a_message_is_shown_not_a_reused_worklist(broker, package):
    client = signed_in(broker)
    client.get("/packages/worklist/")
    client.post(f"/packages/{package.pk}/cancel/", {"cancel-reason": "Family will care"})
    assert "cancelled" in client.get("/packages/worklist/").content.decode()
    assert f"Package {package.pk}<" not in client.get("/packages/worklist/").content.decode()


# --- the package page and its live part -------------------------------------------


def add_event(package):
    PackageEvent.objects.create(
        package=package, kind="submitted", at=clock.now(), detail="Sent again by phone"
    )


PACKAGE_CHANGES = {
    "person": (
        lambda p: Person.objects.filter(pk=p.person_id).update(family_name="Trelawney"),
        "Trelawney",
    ),
    "event": (add_event, "Sent again by phone"),
    "offer": (lambda p: OfferFactory(package=p, provider__name="Gamma Care"), "Gamma Care"),
    "zone": (lambda p: Zone.objects.filter(pk=p.zone_id).update(name="Exeter City"), "Exeter City"),
}


@pytest.mark.parametrize("change", PACKAGE_CHANGES)
def test_the_package_page_shows_a_change_made_since(broker, package, change):
    client = signed_in(broker)
    url = f"/packages/{package.pk}/"
    first = client.get(url)
    assert client.get(url).content == first.content
    write, appears = PACKAGE_CHANGES[change]
    assert appears not in first.content.decode()
    committed_elsewhere(lambda: write(package))
    assert appears in client.get(url).content.decode()


def test_the_live_part_shows_a_change_made_since(broker, package):
    client = signed_in(broker)
    url = f"/packages/{package.pk}/live/"
    first = client.get(url, headers={"HX-Request": "true"})
    assert client.get(url, headers={"HX-Request": "true"}).content == first.content
    committed_elsewhere(lambda: add_event(package))
    assert "Sent again by phone" in client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_each_request_for_the_package_page_is_logged(
    broker, package, django_assert_max_num_queries
):
    client = signed_in(broker)
    url = f"/packages/{package.pk}/"
    first = client.get(url)
    with django_assert_max_num_queries(5):  # session, user, device, the check, the log
        assert client.get(url).content == first.content
    assert PersonAccess.objects.filter(person=package.person, user=broker, via=url).count() == 2


def test_a_package_outside_the_users_scope_stays_404(zone, package, provider_user):
    here = BrokerFactory(username="here")
    assert signed_in(here).get(f"/packages/{package.pk}/").status_code == 200
    there = BrokerFactory(username="there")
    there.zones.add(ZoneFactory(code="MID"))
    client = signed_in(there)
    assert client.get(f"/packages/{package.pk}/").status_code == 404
    assert client.get(f"/packages/{package.pk}/").status_code == 404
    assert signed_in(provider_user).get(f"/packages/{package.pk}/").status_code == 404
    assert PersonAccess.objects.filter(user=there).count() == 0


# --- the packages API's list ---------------------------------------------------------


def test_the_packages_api_reuses_the_same_bytes_and_logs_its_people_each_time(
    api, admin_user, package
):
    client = api(admin_user)
    first = client.get("/api/v1/packages/")
    again = client.get("/api/v1/packages/")
    assert again.content == first.content
    assert again.json()["results"][0]["id"] == package.pk
    headers = ("Content-Type", "Vary", "Allow")
    assert [again.get(h) for h in headers] == [first.get(h) for h in headers]
    assert PersonAccess.objects.filter(person=package.person, user=admin_user).count() == 2


def test_the_packages_api_shows_a_change_made_since(api, admin_user, package):
    client = api(admin_user)
    client.get("/api/v1/packages/")
    committed_elsewhere(lambda: Package.objects.filter(pk=package.pk).update(priority="urgent"))
    assert client.get("/api/v1/packages/").json()["results"][0]["priority"] == "urgent"


def test_another_caller_never_gets_the_packages_apis_page(api, admin_user, provider_user, package):
    assert api(admin_user).get("/api/v1/packages/").json()["count"] == 1
    assert api(provider_user).get("/api/v1/packages/").json()["count"] == 0


def test_the_packages_api_page_in_another_format_is_another(api, admin_user, package):
    client = api(admin_user)
    as_json = client.get("/api/v1/packages/")
    indented = client.get("/api/v1/packages/", HTTP_ACCEPT="application/json; indent=2")
    assert indented.content != as_json.content
    assert indented.json() == as_json.json()
