import pytest
from django.utils import timezone

from providers.models import Provider
from tests.factories import ContractFactory, ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db

PROVIDERS = "/api/v1/providers/"
STAFF = ["admin", "broker", "commissioner", "finance"]


def new_provider(**changes):
    body = {
        "code": "EXE-VALLEY",
        "name": "Exe Valley Home Care",
        "cqc_location_id": "1-104257310",
        "cqc_rating": "outstanding",
        "status": "active",
        "lot": 2,
        "weekly_hours_cap": 600,
        "hourly_rate": "24.96",
        "contact_email": "office@exevalley.example.org",
    }
    return {**body, **changes}


# --- role matrix --------------------------------------------------------------


def test_anonymous_gets_401(api, provider_org):
    client = api()
    assert client.get(PROVIDERS).status_code == 401
    assert client.get(f"{PROVIDERS}PROV-A/").status_code == 401
    assert client.post(PROVIDERS, new_provider(), format="json").status_code == 401
    assert client.patch(f"{PROVIDERS}PROV-A/", {"name": "X"}, format="json").status_code == 401


@pytest.mark.parametrize("role", STAFF)
def test_staff_read_every_provider(api, users, role):
    client = api(users[role])
    codes = [p["code"] for p in client.get(PROVIDERS).json()["results"]]
    assert codes == ["PROV-A", "PROV-B"]
    assert client.get(f"{PROVIDERS}PROV-B/").status_code == 200


def test_a_provider_user_reads_its_own_record_only(api, users):
    client = api(users["provider"])
    assert [p["code"] for p in client.get(PROVIDERS).json()["results"]] == ["PROV-A"]
    assert client.get(f"{PROVIDERS}PROV-A/").status_code == 200
    assert client.get(f"{PROVIDERS}PROV-B/").status_code == 404
    assert client.patch(f"{PROVIDERS}PROV-B/", {"name": "X"}, format="json").status_code == 403


@pytest.mark.parametrize("role", ["broker", "finance", "provider"])
def test_only_commissioner_and_admin_shape_providers(api, users, role):
    client = api(users[role])
    assert client.post(PROVIDERS, new_provider(), format="json").status_code == 403
    assert client.patch(f"{PROVIDERS}PROV-A/", {"name": "X"}, format="json").status_code == 403
    assert not Provider.objects.filter(code="EXE-VALLEY").exists()


@pytest.mark.parametrize("role", ["admin", "commissioner"])
def test_commissioner_and_admin_create_a_provider(api, users, role):
    response = api(users[role]).post(PROVIDERS, new_provider(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hourly_rate"] == "24.96"
    assert body["weekly_hours_cap"] == 600
    assert body["lot"] == 2
    assert body["cqc_rating"] == "outstanding"
    assert body["is_eligible"] is True
    assert body["contracts"] == []


def test_the_shape_of_a_provider(api, users, provider_org):
    ContractFactory(provider=provider_org, zone=ZoneFactory(code="EXETER"), role="primary")
    body = api(users["broker"]).get(f"{PROVIDERS}PROV-A/").json()
    assert {"code", "name", "cqc_location_id", "cqc_rating", "status", "lot"} <= set(body)
    assert body["weekly_hours_cap"] is None
    assert body["hourly_rate"] == "24.96"
    assert body["contracts"] == [
        {"id": body["contracts"][0]["id"], "zone": "EXETER", "role": "primary", "share_percent": 0}
    ]


# --- validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "new"}, "code"),
        ({"code": "bad code!"}, "code"),
        ({"name": ""}, "name"),
        ({"cqc_rating": "excellent"}, "cqc_rating"),
        ({"status": "dormant"}, "status"),
        ({"lot": 3}, "lot"),
        ({"lot": "x"}, "lot"),
        ({"weekly_hours_cap": -1}, "weekly_hours_cap"),
        ({"weekly_hours_cap": "lots"}, "weekly_hours_cap"),
        ({"weekly_hours_cap": 10**9}, "weekly_hours_cap"),
        ({"hourly_rate": "-1.00"}, "hourly_rate"),
        ({"hourly_rate": "24.999"}, "hourly_rate"),
        ({"hourly_rate": None}, "hourly_rate"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"pay_rounding_minutes": 0}, "pay_rounding_minutes"),
    ],
)
def test_bad_provider_is_400_naming_the_field(api, users, changes, field):
    response = api(users["commissioner"]).post(PROVIDERS, new_provider(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Provider.objects.filter(name="Exe Valley Home Care").exists()


def test_missing_rate_is_400(api, users):
    body = new_provider()
    del body["hourly_rate"]
    response = api(users["commissioner"]).post(PROVIDERS, body, format="json")
    assert response.status_code == 400
    assert "hourly_rate" in response.json()


def test_duplicate_code_is_400(api, users, provider_org):
    response = api(users["commissioner"]).post(
        PROVIDERS, new_provider(code="PROV-A"), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == ["A provider with this code already exists."]


def test_patch_changes_rating_cap_and_rate(api, users, provider_org):
    response = api(users["commissioner"]).patch(
        f"{PROVIDERS}PROV-A/",
        {"cqc_rating": "requires_improvement", "weekly_hours_cap": "450.5", "hourly_rate": "27.68"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["weekly_hours_cap"] == 450.5
    assert response.json()["is_eligible"] is False
    assert response.json()["hourly_rate"] == "27.68"
    # The old rate stays for the days before today; the new one is in force from today.
    rates = provider_org.rates.order_by("effective_from").values_list(
        "hourly_rate", "effective_from"
    )
    assert [(str(rate), day) for rate, day in rates][-1] == ("27.68", timezone.localdate())
    assert len(rates) == 2


def test_patch_removes_the_cap_with_null(api, users):
    ProviderFactory(code="CAPPED", lot=2, weekly_hours_cap=600)
    response = api(users["admin"]).patch(
        f"{PROVIDERS}CAPPED/", {"weekly_hours_cap": None}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["weekly_hours_cap"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "OTHER"}, "code"),
        ({"status": "gone"}, "status"),
        ({"hourly_rate": "abc"}, "hourly_rate"),
        ({"lot": 0}, "lot"),
    ],
)
def test_bad_patch_is_400_naming_the_field(api, users, provider_org, body, field):
    response = api(users["commissioner"]).patch(f"{PROVIDERS}PROV-A/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_filters_by_status_rating_lot_and_zone(api, users):
    ProviderFactory(code="A", cqc_rating="good", status="active", lot=1)
    ProviderFactory(code="B", cqc_rating="outstanding", status="suspended", lot=2)
    ContractFactory(provider=ProviderFactory(code="C"), zone=ZoneFactory(code="EXETER"))
    client = api(users["finance"])

    def codes(**params):
        return [p["code"] for p in client.get(PROVIDERS, params).json()["results"]]

    assert codes(status="suspended") == ["B"]
    assert codes(cqc_rating="outstanding") == ["B"]
    assert codes(lot=2) == ["B"]
    assert codes(zone="EXETER") == ["C"]
    assert client.get(PROVIDERS, {"status": "nonsense"}).status_code == 400


def test_list_query_count_does_not_grow_with_providers(api, users, django_assert_max_num_queries):
    client = api(users["broker"])
    zone = ZoneFactory()
    for _ in range(3):
        ContractFactory(zone=zone)
    with django_assert_max_num_queries(8) as few:
        client.get(PROVIDERS)
    for _ in range(30):
        ContractFactory(provider=ContractFactory(zone=zone).provider)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(PROVIDERS).json()["count"] > 30
