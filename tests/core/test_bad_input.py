"""No 500 for any input: the three the audit found, and bodies too large or too deep."""

import pytest

from core.parsers import MAX_JSON_DEPTH, json_depth
from providers.models import Contract, ContractRole
from tests.factories import ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api, admin_user):
    client = api(admin_user)
    client.raise_request_exception = False
    return client


def test_a_contract_posted_without_a_role_is_a_framework_place(client):
    ZoneFactory(code="EXE")
    ProviderFactory(code="ALPHA")
    response = client.post(
        "/api/v1/contracts/", {"zone": "EXE", "provider": "ALPHA"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "framework"
    assert Contract.objects.get().role == ContractRole.FRAMEWORK


@pytest.mark.parametrize(
    "query", ["?since=2999-01-01", "?since=2999-01-01&until=2999-01-02", "?since=9999-12-31"]
)
def test_a_breakdown_since_a_future_date_is_a_400_or_an_answer(client, query):
    response = client.get(f"/api/v1/dashboard/time-to-fill/breakdown/{query}")
    assert response.status_code in (200, 400), response.content
    if "until" not in query:
        assert response.status_code == 400
        assert response.json() == {"since": ["The start date cannot be after today."]}


def test_time_to_fill_since_a_future_date_counts_nothing(client):
    response = client.get("/api/v1/dashboard/time-to-fill/?since=2999-01-01")
    assert response.status_code == 200
    assert response.json()["placed"] == 0


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 3000, 100_000])
def test_json_nested_too_deep_is_a_400(client, depth):
    body = "[" * depth + "]" * depth
    response = client.generic("POST", "/api/v1/zones/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": f"JSON nested deeper than {MAX_JSON_DEPTH} levels."}


def test_json_a_little_nested_is_read_as_usual(client):
    body = '{"code": "EXE", "name": "[[[[not nesting]]]] \\" {{", "postcode_districts": ["EX1"]}'
    response = client.generic("POST", "/api/v1/zones/", body, content_type="application/json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_over_the_limit_is_a_400(client, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"name": "' + "x" * 1000 + '"}'
    response = client.generic("POST", "/api/v1/zones/", body, content_type=content_type)
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is larger than 1000 bytes."}


def test_malformed_json_and_bad_encoding_are_400s(client):
    for body in (b"{", b'{"code": "\xff"}'):
        response = client.generic("POST", "/api/v1/zones/", body, content_type="application/json")
        assert response.status_code == 400


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": [1, {"b": "[[[{{{"}]}') == 3
    assert json_depth('"\\"[["') == 0
