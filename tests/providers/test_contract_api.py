import pytest
from auditlog.models import LogEntry

from providers.models import Contract
from tests.factories import ContractFactory, ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db

CONTRACTS = "/api/v1/contracts/"


@pytest.fixture
def rota(db):
    return ZoneFactory(code="BURY-1", name="Bury North", allocation_mode="rota", districts=["BL9"])


@pytest.fixture
def cascade(db):
    return ZoneFactory(code="EXETER", name="Exeter", districts=["EX1"])


def contract(zone="BURY-1", provider="PROV-A", role="primary", share_percent=80):
    return {"zone": zone, "provider": provider, "role": role, "share_percent": share_percent}


# --- role matrix --------------------------------------------------------------


def test_anonymous_gets_401(api, provider_org, cascade):
    existing = ContractFactory(zone=cascade, provider=provider_org)
    client = api()
    assert client.get(CONTRACTS).status_code == 401
    assert client.post(CONTRACTS, contract(), format="json").status_code == 401
    assert client.get(f"{CONTRACTS}{existing.pk}/").status_code == 401
    assert client.delete(f"{CONTRACTS}{existing.pk}/").status_code == 401


@pytest.mark.parametrize("role", ["admin", "broker", "commissioner", "finance"])
def test_staff_read_every_contract(api, users, cascade, role):
    ContractFactory(zone=cascade, provider=users["provider"].provider)
    ContractFactory(zone=cascade, provider=users["other_provider"].provider)
    assert api(users[role]).get(CONTRACTS).json()["count"] == 2


def test_a_provider_reads_its_own_contracts_only(api, users, cascade):
    own = ContractFactory(zone=cascade, provider=users["provider"].provider)
    other = ContractFactory(zone=cascade, provider=users["other_provider"].provider)
    client = api(users["provider"])
    assert [c["id"] for c in client.get(CONTRACTS).json()["results"]] == [own.pk]
    assert client.get(f"{CONTRACTS}{own.pk}/").status_code == 200
    assert client.get(f"{CONTRACTS}{other.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["broker", "finance", "provider"])
def test_only_commissioner_and_admin_add_or_remove(api, users, rota, role):
    existing = ContractFactory(zone=rota, provider=users["other_provider"].provider)
    client = api(users[role])
    assert client.post(CONTRACTS, contract(), format="json").status_code == 403
    assert client.delete(f"{CONTRACTS}{existing.pk}/").status_code == 403
    assert Contract.objects.count() == 1


@pytest.mark.parametrize("role", ["admin", "commissioner"])
def test_commissioner_and_admin_add_and_remove_a_contract(api, users, rota, role):
    client = api(users[role])
    response = client.post(CONTRACTS, contract(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("zone", "provider", "role", "share_percent")} == contract()
    assert client.delete(f"{CONTRACTS}{body['id']}/").status_code == 204
    assert not Contract.objects.exists()
    assert client.delete(f"{CONTRACTS}{body['id']}/").status_code == 404
    removal = LogEntry.objects.filter(additional_data__zone="BURY-1").first()
    assert (removal.action, removal.actor) == (LogEntry.Action.DELETE, users[role])


# --- validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (contract(zone="NOWHERE"), "zone"),
        (contract(provider="NOBODY"), "provider"),
        (contract(role="lead"), "role"),
        (contract(share_percent=101), "share_percent"),
        (contract(share_percent=-1), "share_percent"),
        (contract(share_percent="half"), "share_percent"),
        ({"provider": "PROV-A"}, "zone"),
    ],
)
def test_bad_contract_is_400_naming_the_field(api, users, rota, body, field):
    response = api(users["commissioner"]).post(CONTRACTS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Contract.objects.exists()


def test_rota_shares_may_not_exceed_100(api, users, rota):
    client = api(users["commissioner"])
    assert client.post(CONTRACTS, contract(share_percent=80), format="json").status_code == 201
    response = client.post(
        CONTRACTS, contract(provider="PROV-B", role="secondary", share_percent=30), format="json"
    )
    assert response.status_code == 400
    assert "110%" in response.json()["share_percent"][0]
    ok = client.post(
        CONTRACTS, contract(provider="PROV-B", role="secondary", share_percent=20), format="json"
    )
    assert ok.status_code == 201


def test_shares_over_100_are_allowed_outside_a_rota(api, users, cascade):
    client = api(users["commissioner"])
    assert (
        client.post(CONTRACTS, contract("EXETER", share_percent=80), format="json").status_code
        == 201
    )
    second = contract("EXETER", provider="PROV-B", role="secondary", share_percent=80)
    assert client.post(CONTRACTS, second, format="json").status_code == 201


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_one_primary_and_one_secondary_per_zone(api, users, rota, role):
    client = api(users["commissioner"])
    first = contract(role=role, share_percent=10)
    assert client.post(CONTRACTS, first, format="json").status_code == 201
    response = client.post(
        CONTRACTS, contract(provider="PROV-B", role=role, share_percent=10), format="json"
    )
    assert response.status_code == 400
    assert f"already has a {role} provider (Alpha Home Care)" in response.json()["role"][0]


def test_a_provider_has_one_contract_per_zone(api, users, rota):
    client = api(users["commissioner"])
    assert (
        client.post(
            CONTRACTS, contract(role="framework", share_percent=0), format="json"
        ).status_code
        == 201
    )
    response = client.post(CONTRACTS, contract(role="secondary", share_percent=20), format="json")
    assert response.status_code == 400
    assert "already has a contract" in response.json()["provider"][0]
    assert Contract.objects.count() == 1


def test_filters_by_zone_provider_and_role(api, users, rota, cascade):
    ContractFactory(zone=rota, provider=users["provider"].provider, role="primary")
    ContractFactory(zone=cascade, provider=users["provider"].provider, role="framework")
    ContractFactory(zone=cascade, provider=ProviderFactory(code="OTHER"), role="primary")
    client = api(users["broker"])

    def count(**params):
        return client.get(CONTRACTS, params).json()["count"]

    assert count(zone="EXETER") == 2
    assert count(provider="PROV-A") == 2
    assert count(role="primary") == 2
    assert count(zone="EXETER", role="primary") == 1


def test_list_query_count_does_not_grow(api, users, cascade, django_assert_max_num_queries):
    client = api(users["broker"])
    for _ in range(3):
        ContractFactory()
    with django_assert_max_num_queries(6) as few:
        client.get(CONTRACTS)
    for _ in range(30):
        ContractFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(CONTRACTS).json()["count"] == 33
