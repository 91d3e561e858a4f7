"""Reading the audit trail is audited; its search takes ids; its rows cannot be rewritten."""

import pytest
from auditlog.models import LogEntry
from django.db import DatabaseError, connection, transaction

from core import audit
from packages.models import PersonAccess
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

NHS = "9434765919"
ENTRIES = "/admin/auditlog/logentry/"


@pytest.fixture
def person_entry(admin_user):
    person = PersonFactory(nhs_number=NHS, family_name="Ashworth")
    entry = audit.record(
        by=admin_user, obj=person, action=audit.CREATE, changes=audit.created(person)
    )
    return person, entry


@pytest.fixture
def signed_in(client, admin_user):
    client.force_login(admin_user)
    return client


def test_listing_audit_entries_about_a_person_is_a_view_of_their_record(
    signed_in, admin_user, person_entry
):
    person, _ = person_entry
    assert signed_in.get(ENTRIES, REMOTE_ADDR="10.0.0.9").status_code == 200
    access = PersonAccess.objects.get()
    assert (access.person, access.user, access.via, access.ip_address) == (
        person,
        admin_user,
        ENTRIES,
        "10.0.0.9",
    )


def test_opening_an_audit_entry_about_a_person_is_logged(signed_in, person_entry):
    person, entry = person_entry
    url = f"{ENTRIES}{entry.pk}/change/"
    response = signed_in.get(url)
    assert response.status_code == 200
    assert "Ashworth" in response.content.decode()
    assert list(PersonAccess.objects.values_list("person_id", "via")) == [(person.pk, url)]


def test_audit_entries_are_searched_by_id_not_nhs_number(signed_in, person_entry):
    person, entry = person_entry
    assert list(signed_in.get(ENTRIES, {"q": NHS}).context["cl"].result_list) == []
    assert list(signed_in.get(ENTRIES, {"q": "Ashworth"}).context["cl"].result_list) == []
    found = signed_in.get(ENTRIES, {"q": str(person.pk)}).context["cl"].result_list
    assert list(found) == [entry]


def test_reading_the_access_log_is_logged_in_it(signed_in, admin_user, person_entry):
    person, _ = person_entry
    PersonAccess.objects.create(person=person, user=admin_user, at=person.created_at, via="/x/")
    assert signed_in.get("/admin/packages/personaccess/").status_code == 200
    assert list(PersonAccess.objects.order_by("pk").values_list("via", flat=True)) == [
        "/x/",
        "/admin/packages/personaccess/",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the guard is PostgreSQL's")
@pytest.mark.parametrize("model", [LogEntry, PersonAccess])
def test_the_database_refuses_to_change_or_delete_audit_rows(admin_user, person_entry, model):
    person, _ = person_entry
    PersonAccess.objects.create(person=person, user=admin_user, at=person.created_at, via="/x/")
    rows = model.objects.all()
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"), transaction.atomic():
        rows.update(**({"object_repr": "x"} if model is LogEntry else {"via": "/y/"}))
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"), transaction.atomic():
        rows.delete()
    assert rows.count() == 1
