"""A person is changed only on purpose: a known NHS number joins their record and never edits it.

The audit found a zone-limited broker could post a draft with the NHS number of
someone placed in another zone, with another name and address, and overwrite
the record the placed provider reads: carers at the wrong door.
"""

import datetime
import threading

import pytest
from auditlog.models import LogEntry
from django.db import connection

from packages import services
from packages.models import EventKind, Package, PackageStatus, Person
from tests.factories import BrokerFactory, PackageFactory, PersonFactory, PlacedPackageFactory
from tests.packages.test_pages import referral_form

pytestmark = pytest.mark.django_db

URL = "/api/v1/packages/"
ADA = {
    "nhs_number": "9434765919",
    "given_name": "Ada",
    "family_name": "Ashworth",
    "date_of_birth": datetime.date(1938, 5, 17),
    "address_line": "1 Fore Street, Exeter",
    "postcode": "EX2 4QD",
}


@pytest.fixture
def ada(zone):
    return PersonFactory(**ADA)


def other_details(referral):
    referral["person"].update(
        given_name="Mary", date_of_birth="1950-01-02", address_line="9 Quiet Close, Exeter"
    )
    return referral


def test_a_known_person_with_other_details_answers_400_naming_the_fields(
    api, broker, ada, referral
):
    response = api(broker).post(URL, other_details(referral), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"person"}
    assert set(errors["person"]) == {"given_name", "date_of_birth", "address_line"}
    assert "differs from the record" in errors["person"]["given_name"][0]
    # The message names the field, never the value recorded.
    assert "Ada" not in str(errors) and "1938" not in str(errors)
    ada.refresh_from_db()
    assert (ada.given_name, ada.address_line) == ("Ada", "1 Fore Street, Exeter")
    assert not Package.objects.exists()


def test_update_person_changes_the_record_audited_with_before_and_after(api, broker, ada, referral):
    referral = other_details(referral)
    referral["update_person"] = True
    response = api(broker).post(URL, referral, format="json")
    assert response.status_code == 201, response.json()
    assert "update_person" not in response.json()
    ada.refresh_from_db()
    assert (ada.given_name, ada.date_of_birth, ada.address_line) == (
        "Mary",
        datetime.date(1950, 1, 2),
        "9 Quiet Close, Exeter",
    )
    entry = LogEntry.objects.get_for_object(ada).get()
    assert entry.actor == broker
    assert entry.changes_dict == {
        "given_name": ["Ada", "Mary"],
        "date_of_birth": ["1938-05-17", "1950-01-02"],
        "address_line": ["1 Fore Street, Exeter", "9 Quiet Close, Exeter"],
    }
    package = Package.objects.get()
    updated = package.events.get(kind=EventKind.UPDATED)
    assert updated.by == broker
    assert (
        updated.detail
        == "The person's given name, date of birth and address updated from this referral"
    )


def test_the_same_details_join_the_record_without_touching_it(api, broker, ada, referral):
    referral["update_person"] = True
    assert api(broker).post(URL, referral, format="json").status_code == 201
    assert Package.objects.get().person == ada
    assert not LogEntry.objects.get_for_object(ada).exists()


def test_a_zone_limited_broker_cannot_overwrite_a_person_placed_elsewhere(
    api, ada, zone, other_zone, referral
):
    """The audit's finding: the placed provider's package keeps its person's real details."""
    placed = PlacedPackageFactory(person=ada, zone=other_zone)
    limited = BrokerFactory(username="exeter-only")
    limited.zones.add(zone)
    referral = other_details(referral)
    assert api(limited).post(URL, referral, format="json").status_code == 400
    referral["update_person"] = True
    response = api(limited).post(URL, referral, format="json")
    assert response.status_code == 400
    assert "cannot change this person's record" in response.json()["update_person"][0]
    placed.person.refresh_from_db()
    assert (placed.person.given_name, placed.person.address_line) == (
        "Ada",
        "1 Fore Street, Exeter",
    )
    assert not Package.objects.exclude(pk=placed.pk).exists()


def test_a_zone_limited_broker_may_update_a_person_whose_live_packages_it_sees(
    api, ada, zone, other_zone, referral
):
    PackageFactory(person=ada, zone=zone)
    PlacedPackageFactory(person=ada, zone=other_zone, status=PackageStatus.ENDED)
    limited = BrokerFactory(username="exeter-only")
    limited.zones.add(zone)
    referral = other_details(referral)
    referral["update_person"] = True
    assert api(limited).post(URL, referral, format="json").status_code == 201
    ada.refresh_from_db()
    assert ada.given_name == "Mary"


def test_the_page_asks_the_broker_to_confirm_the_same_person(page, broker, ada):
    client = page(broker)
    response = client.post("/packages/new/", referral_form(action="check", given_name="Mary"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The given name differs from the record" in html
    assert "data-confirm-person" in html and 'name="update_person"' in html
    assert 'href="#id_given_name"' in html  # In the error summary, linked to the field.
    assert not Package.objects.exists()
    ada.refresh_from_db()
    assert ada.given_name == "Ada"

    response = client.post("/packages/new/", referral_form(given_name="Mary", update_person="on"))
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.given_name == "Mary"


def test_the_page_tells_a_limited_broker_it_may_not_change_the_record(page, ada, zone, other_zone):
    PlacedPackageFactory(person=ada, zone=other_zone)
    limited = BrokerFactory(username="exeter-only")
    limited.zones.add(zone)
    response = page(limited).post(
        "/packages/new/", referral_form(action="check", given_name="Mary", update_person="on")
    )
    assert "You cannot change this person&#x27;s record" in response.content.decode()
    ada.refresh_from_db()
    assert ada.given_name == "Ada"


def _referral_for_service():
    return {
        "person": dict(ADA),
        "package": {"source": "community", "start_date": datetime.date.today()},
        "visits": [
            {"days": ["mon"], "time": datetime.time(9), "duration_minutes": 30, "purpose": "meal"}
        ],
    }


@pytest.mark.django_db(transaction=True)
def test_two_first_referrals_at_once_make_one_person(zone):
    broker = BrokerFactory(username="racer")
    barrier = threading.Barrier(2)
    failures = []

    def refer():
        try:
            barrier.wait()
            services.create_package(by=broker, **_referral_for_service())
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert Person.objects.count() == 1
    assert Package.objects.filter(person__nhs_number=ADA["nhs_number"]).count() == 2
