import csv
import io

import pytest

from providers.models import Contract, Provider
from tests.factories import CapacityFactory, ContractFactory, ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db

STAFF = ["admin", "broker", "commissioner", "finance"]


def provider_form(**changes):
    return {
        "code": "EXE-VALLEY",
        "name": "Exe Valley Home Care",
        "cqc_location_id": "1-104257310",
        "cqc_rating": "good",
        "status": "active",
        "lot": "2",
        "weekly_hours_cap": "600",
        "hourly_rate": "24.96",
        "contact_email": "office@exevalley.example.org",
        "weekend_uplift_percent": "10",
        "bank_holiday_uplift_percent": "50",
        "pay_tolerance_minutes": "5",
        "pay_rounding_minutes": "5",
        **changes,
    }


@pytest.fixture
def exeter(db):
    return ZoneFactory(code="EXETER", name="Exeter", districts=["EX1"], allocation_mode="rota")


# --- role matrix --------------------------------------------------------------

PAGES = [
    "/providers/",
    "/providers/PROV-A/",
    "/providers/new/",
    "/providers/PROV-A/edit/",
    "/providers/capacity/",
    "/providers/contracts/new/EXETER/",
]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_is_sent_to_sign_in(page, users, exeter, url):
    response = page().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", STAFF)
def test_staff_read_the_provider_pages(page, users, role):
    client = page(users[role])
    assert client.get("/providers/").status_code == 200
    assert client.get("/providers/PROV-A/").status_code == 200
    assert client.get("/providers/PROV-B/").status_code == 200
    assert client.get("/providers/NOBODY/").status_code == 404


def test_a_provider_user_sees_its_own_page_only(page, users):
    client = page(users["provider"])
    assert client.get("/providers/").status_code == 403
    assert client.get("/providers/PROV-A/").status_code == 200
    assert client.get("/providers/PROV-B/").status_code == 404
    assert client.get("/providers/PROV-A/edit/").status_code == 403


@pytest.mark.parametrize("role", ["broker", "finance", "provider"])
def test_only_commissioner_and_admin_change_providers_and_contracts(page, users, exeter, role):
    contract = ContractFactory(zone=exeter, provider=users["other_provider"].provider)
    client = page(users[role])
    assert client.get("/providers/new/").status_code == 403
    assert client.post("/providers/new/", provider_form()).status_code == 403
    assert client.get("/providers/PROV-B/edit/").status_code == 403
    assert client.get("/providers/contracts/new/EXETER/").status_code == 403
    assert (
        client.post(
            "/providers/contracts/new/EXETER/", {"provider": "PROV-A", "role": "framework"}
        ).status_code
        == 403
    )
    assert client.post(f"/providers/contracts/{contract.pk}/remove/").status_code == 403
    assert Contract.objects.count() == 1
    assert not Provider.objects.filter(code="EXE-VALLEY").exists()


@pytest.mark.parametrize("role", ["admin", "commissioner"])
def test_managers_reach_every_form(page, users, exeter, role):
    contract = ContractFactory(zone=exeter, provider=users["provider"].provider)
    client = page(users[role])
    assert client.get("/providers/new/").status_code == 200
    assert client.get("/providers/PROV-A/edit/").status_code == 200
    assert client.get("/providers/contracts/new/EXETER/").status_code == 200
    assert client.get(f"/providers/contracts/{contract.pk}/remove/").status_code == 200
    assert client.get("/providers/contracts/new/NOWHERE/").status_code == 404


# --- list ---------------------------------------------------------------------


def test_list_filters_by_status_rating_and_lot(page, users):
    ProviderFactory(name="Suspended Care", status="suspended", cqc_rating="inadequate", lot=2)
    client = page(users["broker"])

    def names(**params):
        body = client.get("/providers/", params).content.decode()
        return [n for n in ("Alpha Home Care", "Suspended Care") if n in body]

    assert names() == ["Alpha Home Care", "Suspended Care"]
    assert names(status="suspended") == ["Suspended Care"]
    assert names(cqc_rating="inadequate") == ["Suspended Care"]
    assert names(lot="2") == ["Suspended Care"]
    assert names(lot="1") == ["Alpha Home Care"]
    assert names(q="alpha") == ["Alpha Home Care"]


def test_list_downloads_as_csv(page, users):
    response = page(users["finance"]).get("/providers/", {"format": "csv", "q": "PROV-A"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["code", "name", "cqc_location_id", "cqc_rating"]
    assert rows[1][:2] == ["PROV-A", "Alpha Home Care"]
    assert len(rows) == 2


def test_list_query_count_does_not_grow(page, users, django_assert_max_num_queries):
    client = page(users["commissioner"])
    with django_assert_max_num_queries(12) as few:
        client.get("/providers/")
    for _ in range(40):
        ContractFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/providers/").status_code == 200


# --- provider page --------------------------------------------------------------


def test_provider_page_shows_zones_roles_rating_cap_rate_and_capacity(page, users, exeter):
    provider = ProviderFactory(
        code="CAPPED", name="Capped Care", lot=2, weekly_hours_cap=600, cqc_rating="outstanding"
    )
    ContractFactory(zone=exeter, provider=provider, role="secondary", share_percent=20)
    CapacityFactory(provider=provider, zone=exeter, hours=35)
    body = page(users["broker"]).get("/providers/CAPPED/").content.decode()
    for text in ("Exeter", "Secondary", "20%", "Outstanding", "600 hours a week", "£24.96", "35"):
        assert text in body, text
    assert "This week" in body


def test_provider_page_query_count_does_not_grow(
    page, users, exeter, django_assert_max_num_queries
):
    provider = users["provider"].provider
    client = page(users["commissioner"])
    with django_assert_max_num_queries(30) as few:
        client.get("/providers/PROV-A/")
    for _ in range(15):
        zone = ZoneFactory()
        ContractFactory(zone=zone, provider=provider)
        CapacityFactory(zone=zone, provider=provider)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/providers/PROV-A/").status_code == 200


# --- create and edit ------------------------------------------------------------


def test_commissioner_adds_a_provider_and_the_change_is_recorded(page, users):
    client = page(users["commissioner"])
    response = client.post("/providers/new/", provider_form())
    assert response.status_code == 302
    assert response["Location"] == "/providers/EXE-VALLEY/"
    provider = Provider.objects.get(code="EXE-VALLEY")
    assert (provider.lot, provider.weekly_hours_cap) == (2, 600)
    assert [str(rate.hourly_rate) for rate in provider.rates.all()] == ["24.96"]
    body = client.get("/providers/EXE-VALLEY/").content.decode()
    assert "Provider Exe Valley Home Care added." in body
    assert "commissioner1" in body  # who, in the recent changes


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "PROV-A"}, "code", "A provider with this code already exists."),
        ({"code": "capacity"}, "code", "reserved word"),
        ({"hourly_rate": ""}, "hourly_rate", "Enter the hourly rate, like 24.96."),
        ({"hourly_rate": "-2"}, "hourly_rate", "Hourly rate must be 0 or more."),
        ({"hourly_rate": "lots"}, "hourly_rate", "Hourly rate must be a number."),
        ({"hourly_rate": "24.999"}, "hourly_rate", "no more than 2 decimal places"),
        ({"weekly_hours_cap": "-1"}, "weekly_hours_cap", "Weekly hours cap must be 0 or more."),
        ({"lot": "3"}, "lot", "Choose the lot from the list."),
        ({"cqc_rating": "excellent"}, "cqc_rating", "Choose the CQC rating from the list."),
        (
            {"contact_email": "nope"},
            "contact_email",
            "Enter the contact email in the right format, like name@example.org.",
        ),
    ],
)
def test_form_errors_show_in_the_summary_and_at_the_field(page, users, changes, field, message):
    response = page(users["admin"]).post("/providers/new/", provider_form(**changes))
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert f'href="#{summary_anchor(field)}"' in body
    assert message in body
    assert not Provider.objects.filter(name="Exe Valley Home Care").exists()


def test_edit_keeps_the_code_and_records_the_change(page, users):
    client = page(users["commissioner"])
    form = provider_form(code="IGNORED", name="Alpha Care", status="suspended", weekly_hours_cap="")
    assert client.post("/providers/PROV-A/edit/", form).status_code == 302
    provider = Provider.objects.get(code="PROV-A")
    assert (provider.name, provider.status, provider.weekly_hours_cap) == (
        "Alpha Care",
        "suspended",
        None,
    )
    body = client.get("/providers/PROV-A/").content.decode()
    assert "Active &rarr; Suspended" in body or "Active → Suspended" in body


# --- contracts from the zone page ---------------------------------------------------


def test_zone_page_offers_the_add_form_to_managers_only(page, users, exeter):
    assert (
        b"Add a provider to this zone" in page(users["commissioner"]).get("/zones/EXETER/").content
    )
    assert b"Add a provider to this zone" not in page(users["broker"]).get("/zones/EXETER/").content


def test_adding_and_removing_a_contract_from_the_zone_page(page, users, exeter):
    client = page(users["commissioner"])
    response = client.post(
        "/providers/contracts/new/EXETER/",
        {"provider": "PROV-A", "role": "primary", "share_percent": "80"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/zones/EXETER/"
    contract = Contract.objects.get()
    body = client.get("/zones/EXETER/").content.decode()
    assert "Alpha Home Care added to Exeter as primary." in body
    assert "80%" in body
    response = client.post(f"/providers/contracts/{contract.pk}/remove/")
    assert response.status_code == 302
    assert not Contract.objects.exists()


def test_a_rule_broken_on_the_zone_page_is_explained_on_the_form(page, users, exeter):
    ContractFactory(
        zone=exeter, provider=users["other_provider"].provider, role="primary", share_percent=80
    )
    response = page(users["commissioner"]).post(
        "/providers/contracts/new/EXETER/",
        {"provider": "PROV-A", "role": "secondary", "share_percent": "30"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_share_percent"' in body
    assert "add up to 110%" in body
    assert not Contract.objects.filter(provider__code="PROV-A").exists()


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"role": "framework", "share_percent": "0"}, "provider", "Choose a provider."),
        (
            {"provider": "PROV-A", "role": "lead", "share_percent": "0"},
            "role",
            "Choose the role from the list.",
        ),
        (
            {"provider": "PROV-A", "role": "primary", "share_percent": "120"},
            "share_percent",
            "Share must be 100 or less.",
        ),
        (
            {"provider": "PROV-A", "role": "primary", "share_percent": ""},
            "share_percent",
            "Enter the share.",
        ),
    ],
)
def test_contract_form_errors_name_the_field(page, users, exeter, form, field, message):
    response = page(users["commissioner"]).post("/providers/contracts/new/EXETER/", form)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'href="#{summary_anchor(field)}"' in body
    assert body.count(message) == 2  # in the summary and at the field
    assert not Contract.objects.exists()


def summary_anchor(field):
    """The error summary links a question answered with radios to its first radio."""
    return f"id_{field}_0" if field in {"role", "lot"} else f"id_{field}"
