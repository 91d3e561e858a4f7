"""Contracts that change: PATCH of role, share, dates and guaranteed hours, under the rules
a new contract follows, each change in its history; the edit page and the rates page."""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from providers.models import Contract, Rate
from tests.factories import ContractFactory, ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db
CONTRACTS = "/api/v1/contracts/"


@pytest.fixture
def rota(db, provider_org, other_provider_org):
    zone = ZoneFactory(code="BURY-1", name="Bury North", allocation_mode="rota")
    primary = ContractFactory(zone=zone, provider=provider_org, role="primary", share_percent=80)
    secondary = ContractFactory(
        zone=zone, provider=other_provider_org, role="secondary", share_percent=20
    )
    return primary, secondary


def test_commissioner_changes_a_share_dates_and_guaranteed_hours(api, users, rota):
    primary, _ = rota
    response = api(users["commissioner"]).patch(
        f"{CONTRACTS}{primary.pk}/",
        {
            "share_percent": 70,
            "starts_on": "2026-01-05",
            "ends_on": "2027-12-31",
            "guaranteed_hours": "120.5",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["share_percent"], body["starts_on"], body["ends_on"]) == (
        70,
        "2026-01-05",
        "2027-12-31",
    )
    assert body["guaranteed_hours"] == "120.50"
    entry = LogEntry.objects.get_for_object(primary).latest("timestamp")
    assert entry.actor == users["commissioner"]
    assert entry.changes_dict["share_percent"] == ["80", "70"]
    assert entry.changes_dict["guaranteed_hours"] == ["0.00", "120.50"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"ends_on": "2000-01-01"}, "ends_on", "a contract cannot end before it starts"),
        ({"share_percent": 101}, "share_percent", ""),
        ({"share_percent": -1}, "share_percent", ""),
        ({"share_percent": 90}, "share_percent", "may not exceed 100%"),
        ({"role": "secondary"}, "role", "already has a secondary provider"),
        ({"role": "boss"}, "role", ""),
        ({"guaranteed_hours": "-3"}, "guaranteed_hours", ""),
        ({"starts_on": "soon"}, "starts_on", ""),
        ({"zone": "ELSEWHERE"}, "zone", ""),
    ],
)
def test_bad_changes_answer_400_naming_the_field_and_change_nothing(
    api, users, rota, body, field, message
):
    primary, _ = rota
    ZoneFactory(code="ELSEWHERE")
    response = api(users["commissioner"]).patch(f"{CONTRACTS}{primary.pk}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert message in " ".join(response.json()[field])
    primary.refresh_from_db()
    assert (primary.role, primary.share_percent, primary.ends_on) == ("primary", 80, None)


def test_the_pair_swap_roles_one_change_at_a_time(api, users, rota):
    primary, secondary = rota
    client = api(users["commissioner"])
    assert (
        client.patch(
            f"{CONTRACTS}{secondary.pk}/", {"role": "framework"}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.patch(
            f"{CONTRACTS}{primary.pk}/", {"role": "secondary", "share_percent": 20}, format="json"
        ).status_code
        == 200
    )
    assert (
        client.patch(
            f"{CONTRACTS}{secondary.pk}/", {"role": "primary", "share_percent": 80}, format="json"
        ).status_code
        == 200
    )
    assert dict(Contract.objects.values_list("provider__code", "role")) == {
        "PROV-A": "secondary",
        "PROV-B": "primary",
    }


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("broker", 403), ("finance", 403)])
def test_only_market_managers_change_contracts(api, users, rota, role, status):
    primary, _ = rota
    response = api(users[role]).patch(
        f"{CONTRACTS}{primary.pk}/", {"share_percent": 75}, format="json"
    )
    assert response.status_code == status


def test_a_provider_cannot_change_its_contract_nor_see_anothers(api, users, rota):
    primary, secondary = rota
    client = api(users["provider"])
    assert (
        client.patch(f"{CONTRACTS}{primary.pk}/", {"share_percent": 90}, format="json").status_code
        == 403
    )
    assert client.get(f"{CONTRACTS}{secondary.pk}/").status_code == 404


def test_the_edit_page_changes_a_contract_and_shows_its_history(page, users, rota):
    primary, _ = rota
    client = page(users["commissioner"])
    url = f"/providers/contracts/{primary.pk}/edit/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "role": "primary",
            "share_percent": "75",
            "starts_on": "2026-01-05",
            "ends_on": "",
            "guaranteed_hours": "40",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    primary.refresh_from_db()
    assert (primary.share_percent, primary.guaranteed_hours) == (75, Decimal("40"))
    history = client.get(url).content.decode()
    assert "commissioner1" in history and "80 &rarr; 75" in history


def test_the_edit_page_shows_errors_in_a_summary(page, users, rota):
    primary, _ = rota
    response = page(users["commissioner"]).post(
        f"/providers/contracts/{primary.pk}/edit/",
        {
            "role": "primary",
            "share_percent": "95",
            "starts_on": "2026-01-05",
            "ends_on": "2025-01-01",
            "guaranteed_hours": "0",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in body and "a contract cannot end before it starts" in body


@pytest.mark.parametrize("role", ["broker", "finance", "provider"])
def test_the_edit_page_is_for_market_managers(page, users, rota, role):
    primary, _ = rota
    assert page(users[role]).get(f"/providers/contracts/{primary.pk}/edit/").status_code == 403


def test_the_rates_page_adds_a_rate_from_next_month_and_lists_the_history(
    page, users, time_machine
):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False)
    provider = ProviderFactory(code="EXE-VALLEY", name="Exe Valley")
    ZoneFactory(code="RURAL", name="Rural Devon")
    client = page(users["commissioner"])
    response = client.post(
        "/providers/rates/",
        {
            "provider": "EXE-VALLEY",
            "zone": "RURAL",
            "hourly_rate": "27.68",
            "effective_from": "2027-01-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Rate.objects.filter(provider=provider, zone__code="RURAL").get().hourly_rate == Decimal(
        "27.68"
    )
    listed = client.get("/providers/rates/?provider=EXE-VALLEY").content.decode()
    assert "Rural Devon" in listed and "£27.68" in listed and "Every zone" in listed
    csv = client.get("/providers/rates/?provider=EXE-VALLEY&format=csv")
    assert b"27.68" in b"".join(csv) if csv.streaming else b"27.68" in csv.content


def test_the_rates_page_refuses_a_past_date_in_its_summary(page, users, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False)
    ProviderFactory(code="EXE-VALLEY")
    response = page(users["commissioner"]).post(
        "/providers/rates/",
        {
            "provider": "EXE-VALLEY",
            "zone": "",
            "hourly_rate": "27.68",
            "effective_from": "2026-11-01",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in body and "care already given keeps the rate it had" in body


@pytest.mark.parametrize(("role", "status"), [("broker", 200), ("finance", 200), ("provider", 200)])
def test_the_rates_page_is_read_by_staff_and_providers_for_their_own(page, users, role, status):
    other = ProviderFactory(code="ELSEWHERE", name="Elsewhere Care")
    response = page(users[role]).get("/providers/rates/")
    assert response.status_code == status
    body = response.content.decode()
    assert ("Add a rate" in body) is False
    if role == "provider":
        assert other.name not in body
    assert page(users[role]).post("/providers/rates/", {}).status_code == 403


def test_the_dates_are_govuk_date_inputs_and_errors_name_them(page, users, rota, time_machine):
    """Day, month and year boxes (never the browser's date picker); a date that does not
    exist, or one missing its year, is named in the summary, which leads to its first box."""
    time_machine.move_to(datetime.datetime(2026, 12, 2, 10, tzinfo=datetime.UTC), tick=False)
    primary, _ = rota
    client = page(users["commissioner"])
    url = f"/providers/contracts/{primary.pk}/edit/"
    form = client.get(url).content.decode()
    assert 'type="date"' not in form
    assert 'name="starts_on_0"' in form and 'name="ends_on_2"' in form
    response = client.post(
        url,
        {
            "role": "primary",
            "share_percent": "80",
            "starts_on_0": "31",
            "starts_on_1": "2",
            "starts_on_2": "2027",
            "ends_on_0": "1",
            "ends_on_1": "3",
            "ends_on_2": "",
            "guaranteed_hours": "0",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_starts_on_0">The start date must be a real date</a>' in body
    assert '<a href="#id_ends_on_0">The end date must include a day, month and year</a>' in body

    rates = client.get("/providers/rates/").content.decode()
    assert 'type="date"' not in rates and 'name="effective_from_0"' in rates
    ProviderFactory(code="EXE-VALLEY")
    refused = client.post(
        "/providers/rates/",
        {
            "provider": "EXE-VALLEY",
            "hourly_rate": "27.68",
            "effective_from_0": "1",
            "effective_from_1": "11",
            "effective_from_2": "2026",
        },
    ).content.decode()
    assert '<a href="#rate_effective_from_0">The date the rate starts must be today' in refused
