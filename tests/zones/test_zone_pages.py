import csv
import datetime
import io

import pytest
import time_machine

from tests.factories import ContractFactory, ProviderFactory, ZoneFactory
from zones.models import Zone

pytestmark = pytest.mark.django_db

READERS = ["admin", "broker", "commissioner", "finance"]
MANAGERS = ["admin", "commissioner"]


@pytest.fixture
def exeter(db):
    return ZoneFactory(code="EXETER", name="Exeter", districts=["EX1", "EX2", "EX10"])


def zone_form(**changes):
    return {
        "code": "EAST",
        "name": "East Devon",
        "postcode_districts": "ex8, EX9 EX10;EX11",
        "allocation_mode": "broadcast",
        "offer_window_minutes": "90",
        "urgent_offer_window_minutes": "30",
        "rotation_weeks": "2",
        **changes,
    }


# --- role matrix --------------------------------------------------------------

PAGES = ["/zones/", "/zones/EXETER/", "/zones/new/", "/zones/EXETER/edit/", "/zones/lookup/"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(page, exeter, url):
    response = page().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", READERS)
def test_staff_read_the_zone_pages(page, users, exeter, role):
    client = page(users[role])
    assert client.get("/zones/").status_code == 200
    assert client.get("/zones/EXETER/").status_code == 200
    assert client.get("/zones/NOPE/").status_code == 404


@pytest.mark.parametrize("role", ["provider", "other_provider"])
def test_providers_get_403_on_zone_pages_but_may_look_up_a_postcode(page, users, exeter, role):
    client = page(users[role])
    assert client.get("/zones/").status_code == 403
    assert client.get("/zones/EXETER/").status_code == 403
    assert client.get("/zones/lookup/", {"postcode": "EX1 1AA"}).status_code == 200


@pytest.mark.parametrize("role", ["broker", "finance", "provider"])
def test_only_commissioner_and_admin_create_or_edit(page, users, exeter, role):
    client = page(users[role])
    assert client.get("/zones/new/").status_code == 403
    assert client.post("/zones/new/", zone_form()).status_code == 403
    assert client.get("/zones/EXETER/edit/").status_code == 403
    assert not Zone.objects.filter(code="EAST").exists()


@pytest.mark.parametrize("role", MANAGERS)
def test_managers_see_the_change_buttons(page, users, exeter, role):
    client = page(users[role])
    assert b"Add a zone" in client.get("/zones/").content
    assert b"Change zone" in client.get("/zones/EXETER/").content
    assert client.get("/zones/new/").status_code == 200
    assert client.get("/zones/EXETER/edit/").status_code == 200


def test_brokers_see_no_change_buttons(page, users, exeter):
    client = page(users["broker"])
    assert b"Add a zone" not in client.get("/zones/").content
    assert b"Change zone" not in client.get("/zones/EXETER/").content


@pytest.mark.parametrize(
    ("role", "shown"),
    [("commissioner", True), ("broker", True), ("admin", True), ("finance", False)],
)
def test_navigation_shows_zones_to_whom_it_may_concern(page, users, role, shown):
    response = page(users[role]).get("/providers/")
    assert (b'href="/zones/"' in response.content) is shown


# --- list ---------------------------------------------------------------------


def test_list_shows_districts_in_reading_order_and_filters(page, users, exeter):
    ZoneFactory(code="EAST", name="East Devon", districts=["EX8"], allocation_mode="broadcast")
    client = page(users["broker"])
    body = client.get("/zones/").content.decode()
    assert "EX1, EX2, EX10" in body
    assert "East Devon" in body
    filtered = client.get("/zones/", {"allocation_mode": "broadcast"}).content.decode()
    assert "East Devon" in filtered
    assert "EX1, EX2, EX10" not in filtered


def test_list_downloads_as_csv(page, users, exeter):
    ContractFactory(zone=exeter)
    response = page(users["commissioner"]).get("/zones/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["code", "name", "postcode_districts"]
    assert rows[1] == ["EXETER", "Exeter", "EX1 EX2 EX10", "cascade", "240", "30", "2", "1"]


def test_list_query_count_does_not_grow_with_zones(page, users, django_assert_max_num_queries):
    client = page(users["broker"])
    for n in range(3):
        ContractFactory(zone=ZoneFactory(code=f"A{n}", districts=[f"AB{n + 1}"]))
    with django_assert_max_num_queries(12) as few:
        client.get("/zones/")
    for n in range(3, 40):
        ContractFactory(zone=ZoneFactory(code=f"A{n}", districts=[f"AB{n + 1}", f"AL{n + 1}"]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/zones/").status_code == 200


# --- zone page ----------------------------------------------------------------


def test_zone_page_shows_providers_roles_shares_and_the_rota_lead(page, users):
    rota = ZoneFactory(
        code="BURY-1",
        name="Bury North",
        allocation_mode="rota",
        districts=["BL9"],
        rota_started_on=datetime.date(2024, 1, 1),
    )
    alpha = ProviderFactory(code="ALPHA", name="Alpha Care")
    beta = ProviderFactory(code="BETA", name="Beta Care")
    ContractFactory(zone=rota, provider=alpha, role="primary", share_percent=80)
    ContractFactory(zone=rota, provider=beta, role="secondary", share_percent=20)
    ContractFactory(zone=rota, provider=ProviderFactory(name="Gamma Care"), role="framework")
    client = page(users["broker"])
    # Period 0 of this two-week rota started on Monday 1 January 2024.
    with time_machine.travel("2024-01-10 12:00 +00:00"):
        body = client.get("/zones/BURY-1/").content.decode()
    assert "Alpha Care is acting primary and gets 80% of first offers" in body
    assert "Beta Care gets 20%" in body
    assert "Gamma Care" in body
    with time_machine.travel("2024-01-17 12:00 +00:00"):
        body = client.get("/zones/BURY-1/").content.decode()
    assert "Beta Care is acting primary and gets 80% of first offers" in body
    # Before its first offer a rota has no period yet: its primary will lead the first.
    rota.rota_started_on = None
    rota.save()
    with time_machine.travel("2024-01-17 12:00 +00:00"):
        body = client.get("/zones/BURY-1/").content.decode()
    assert "first period starts with its first offer" in body
    assert "Alpha Care is acting primary" in body


def test_rota_zone_without_both_providers_warns(page, users):
    ZoneFactory(code="ROTA", allocation_mode="rota", districts=["BL8"])
    body = page(users["commissioner"]).get("/zones/ROTA/").content.decode()
    assert "needs a primary and a secondary" in body


def test_zone_page_query_count_does_not_grow_with_contracts(
    page, users, exeter, django_assert_max_num_queries
):
    client = page(users["commissioner"])
    for _ in range(2):
        ContractFactory(zone=exeter)
    with django_assert_max_num_queries(30) as few:
        client.get("/zones/EXETER/")
    for _ in range(20):
        ContractFactory(zone=exeter)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/zones/EXETER/").status_code == 200


# --- create and edit ------------------------------------------------------------


def test_commissioner_creates_a_zone_and_sees_who_did_it(page, users):
    client = page(users["commissioner"])
    response = client.post("/zones/new/", zone_form())
    assert response.status_code == 302
    assert response["Location"] == "/zones/EAST/"
    zone = Zone.objects.get(code="EAST")
    assert zone.postcode_districts == ["EX8", "EX9", "EX10", "EX11"]
    body = client.get("/zones/EAST/").content.decode()
    assert "Zone East Devon created." in body
    assert "Recent changes" in body
    assert "commissioner1" in body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "Enter a code, like EXETER."),
        ({"postcode_districts": "EX8, EX1"}, "postcode_districts", "EX1 is already in zone Exeter"),
        ({"postcode_districts": "EX8, 99"}, "postcode_districts", "99 is not a postcode district"),
        ({"offer_window_minutes": "0"}, "offer_window_minutes", "Offer window must be 1 or more."),
        ({"rotation_weeks": "0"}, "rotation_weeks", "Rotation period must be 1 or more."),
        (
            {"allocation_mode": "lottery"},
            "allocation_mode",
            "Choose the allocation mode from the list.",
        ),
        ({"name": ""}, "name", "Enter the zone&#x27;s name."),
        ({"code": "NO SPACES"}, "code", "A code may use only letters, numbers"),
        ({"offer_window_minutes": "soon"}, "offer_window_minutes", "must be a whole number."),
        ({"code": "EXETER"}, "code", "A zone with this code already exists."),
    ],
)
def test_form_errors_show_in_the_summary_and_at_the_field(
    page, users, exeter, changes, field, message
):
    response = page(users["commissioner"]).post("/zones/new/", zone_form(**changes))
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert f'href="#{summary_anchor(field)}"' in body
    assert f'id="id_{field}-error"' in body
    assert message in body
    assert not Zone.objects.filter(name="East Devon").exists()


def test_every_mistake_in_the_form_shows_at_once(page, users, exeter):
    # A malformed district and a bad code are found with the missing name, not
    # one round trip later.
    form = zone_form(code="EAST DEVON", name="", postcode_districts="EX8, 99")
    body = page(users["commissioner"]).post("/zones/new/", form).content.decode()
    for field in ("code", "name", "postcode_districts"):
        assert f'href="#{summary_anchor(field)}"' in body
    assert "99 is not a postcode district" in body
    assert not Zone.objects.filter(code="EAST").exists()


def test_edit_changes_districts_and_keeps_the_code(page, users, exeter):
    client = page(users["admin"])
    form = zone_form(code="IGNORED", name="Exeter City", postcode_districts="EX1 EX4")
    response = client.post("/zones/EXETER/edit/", form)
    assert response.status_code == 302
    exeter.refresh_from_db()
    assert (exeter.code, exeter.name) == ("EXETER", "Exeter City")
    assert exeter.postcode_districts == ["EX1", "EX4"]
    body = client.get("/zones/EXETER/").content.decode()
    assert "Postcode district" in body  # the district changes are in the trail too
    assert "Exeter &rarr; Exeter City" in body or "Exeter → Exeter City" in body


def test_edit_form_is_prefilled(page, users, exeter):
    body = page(users["commissioner"]).get("/zones/EXETER/edit/").content.decode()
    assert 'value="EX1, EX2, EX10"' in body


# --- postcode lookup ----------------------------------------------------------


def test_lookup_page_finds_the_zone(page, users, exeter):
    body = page(users["broker"]).get("/zones/lookup/", {"postcode": "ex10 1aa"}).content.decode()
    assert "EX10 1AA is in zone EXETER" in body
    assert 'href="/zones/EXETER/"' in body


def test_lookup_page_for_a_provider_does_not_link_the_zone_page(page, users, exeter):
    body = page(users["provider"]).get("/zones/lookup/", {"postcode": "EX1 1AA"}).content.decode()
    assert "EX1 1AA is in zone EXETER" in body
    assert 'href="/zones/EXETER/"' not in body


@pytest.mark.parametrize(
    ("postcode", "message"),
    [("TQ1 1AA", "No zone covers TQ1 1AA"), ("EX1", "Enter a real UK postcode")],
)
def test_lookup_page_explains_what_is_wrong(page, users, exeter, postcode, message):
    body = page(users["broker"]).get("/zones/lookup/", {"postcode": postcode}).content.decode()
    assert "There is a problem" in body
    assert message in body


def summary_anchor(field):
    """The error summary links a question answered with radios to its first radio."""
    return f"id_{field}_0" if field in {"allocation_mode"} else f"id_{field}"
