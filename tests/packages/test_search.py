"""Search: `?search=` on the packages API and the package lists, by NHS number (with or
without spaces), family name (from its start, any case), postcode and package id; every
package found is a view of its person's record in the access log."""

import json

import pytest
from django.db import connection

from packages.models import Package, PersonAccess
from packages.selectors import search
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(zone):
    ada = factories.PersonFactory(
        nhs_number="9434765919", family_name="Ashworth", postcode="EX2 4QD"
    )
    bill = factories.PersonFactory(nhs_number="9990000018", family_name="Ashby", postcode="EX1 1AA")
    cath = factories.PersonFactory(nhs_number="9990000026", family_name="Cole", postcode="EX1 2BB")
    return {
        "ada": factories.OpenPackageFactory(person=ada, zone=zone),
        "bill": factories.OpenPackageFactory(person=bill, zone=zone),
        "cath": factories.OpenPackageFactory(person=cath, zone=zone),
    }


def _found(api, user, text):
    response = api(user).get("/api/v1/packages/", {"search": text})
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("9434765919", {"ada"}),
        ("943 476 5919", {"ada"}),
        ("ash", {"ada", "bill"}),
        ("ASHW", {"ada"}),
        ("ashworth", {"ada"}),
        ("worth", set()),
        ("ex2 4qd", {"ada"}),
        ("EX24QD", {"ada"}),
        ("EX1 1AA", {"bill"}),
        ("9990000099", set()),
    ],
)
def test_search_matches_each_key(api, broker, people, text, who):
    assert _found(api, broker, text) == {people[name].pk for name in who}


def test_search_by_package_id(api, broker, people):
    assert _found(api, broker, str(people["cath"].pk)) == {people["cath"].pk}


def test_search_stays_within_what_the_user_may_see(api, broker, people, other_zone):
    elsewhere = factories.OpenPackageFactory(
        person=factories.PersonFactory(family_name="Ashton"), zone=other_zone
    )
    limited = factories.BrokerFactory(username="zoned")
    limited.zones.set([people["ada"].zone])
    assert elsewhere.pk not in _found(api, limited, "ash")
    assert elsewhere.pk in _found(api, broker, "ash")


def test_each_package_found_is_logged_as_a_view(api, broker, people):
    _found(api, broker, "ash")
    logged = PersonAccess.objects.filter(user=broker)
    assert {a.person_id for a in logged} == {
        people["ada"].person_id,
        people["bill"].person_id,
    }
    assert {a.via for a in logged} == {"GET /api/v1/packages/"}


@pytest.mark.parametrize("url", ["/packages/worklist/", "/packages/all/"])
def test_a_search_on_a_list_page_shows_and_logs_the_people_found(page, broker, people, url):
    response = page(broker).get(url, {"search": "Ashworth"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Package {people['ada'].pk}<" in body
    assert f"Package {people['bill'].pk}<" not in body
    assert "943 476 5919" in body
    logged = PersonAccess.objects.filter(user=broker)
    assert [a.person_id for a in logged] == [people["ada"].person_id]


def test_a_list_page_without_a_search_shows_no_names_and_logs_nothing(page, broker, people):
    body = page(broker).get("/packages/worklist/").content.decode()
    assert "943 476 5919" not in body
    assert not PersonAccess.objects.exists()


def test_a_provider_searches_only_its_own_packages(page, provider_user, people, zone):
    ours = factories.PlacedPackageFactory(
        person=factories.PersonFactory(family_name="Ashcroft"),
        zone=zone,
        provider=provider_user.provider,
    )
    response = page(provider_user).get("/packages/ours/", {"search": "ash"})
    body = response.content.decode()
    assert f"Package {ours.pk}<" in body
    assert f"Package {people['ada'].pk}<" not in body
    assert PersonAccess.objects.filter(user=provider_user).count() == 1


def test_search_reads_a_bounded_number_of_queries(api, broker, zone, django_assert_max_num_queries):
    for _ in range(30):
        factories.OpenPackageFactory(person=factories.PersonFactory(family_name="Ashe"), zone=zone)
    with django_assert_max_num_queries(15):
        assert len(_found(api, broker, "ashe")) == 30


def _plan(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    return json.dumps(plan if not isinstance(plan, str) else json.loads(plan))


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("ashw", "person_family_name_search"),
        ("EX2 4QD", "person_postcode"),
        ("943 476 5919", "packages_package_person_id"),
    ],
)
def test_each_search_key_is_served_by_an_index(people, text, index):
    # The search's own filter, without a list's order and page: on three rows the planner
    # may as well walk an ordering index and filter, which says nothing about the key.
    found = search(Package.objects.all(), text).order_by().values("pk")
    plan = _plan(*found.query.sql_with_params())
    assert index in plan
    assert '"Node Type": "Seq Scan"' not in plan
