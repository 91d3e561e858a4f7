"""The OpenAPI document says what the answers are (the audit counted 65 schemathesis failures).

HH:MM is not `format: time`; a field that may be null is marked nullable; an
unset choice is null, never "" (which no enum holds); page_size is strict.
"""

import json

import pytest

from brokering.models import OfferStatus
from tests.brokering.factories import OfferFactory
from tests.factories import PackageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(api, admin_user):
    return json.loads(api(admin_user).get("/api/v1/schema/?format=json").content)


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_times_are_documented_as_hour_and_minute(document):
    assert not [node for node in _walk(document) if node.get("format") == "time"]
    time = document["components"]["schemas"]["Visit"]["properties"]["time"]
    assert time["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"


def test_fields_that_may_be_null_are_marked_nullable(document):
    schemas = document["components"]["schemas"]
    assert schemas["Package"]["properties"]["provider"]["nullable"] is True
    assert schemas["Invoice"]["properties"]["payment_run"]["nullable"] is True
    assert "rows" not in schemas["VisitImportRejected"].get("required", [])


def test_an_unset_choice_is_answered_null(api, admin_user, document):
    offer = OfferFactory(status=OfferStatus.PENDING)
    body = api(admin_user).get(f"/api/v1/offers/{offer.pk}/").json()
    assert (body["decline_reason"], body["withdrawn_because"]) == (None, None)
    documented = document["components"]["schemas"]["Offer"]["properties"]["decline_reason"]
    assert {"$ref": "#/components/schemas/NullEnum"} in documented["oneOf"]


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1.5", "²"])
def test_a_page_size_that_is_no_whole_number_from_1_is_a_400(api, admin_user, page_size):
    response = api(admin_user).get("/api/v1/packages/", {"page_size": page_size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give page_size as a whole number from 1 to 500."]}


def test_page_sizes_up_to_500_are_honoured_and_more_gives_500(api, admin_user):
    PackageFactory.create_batch(3)
    client = api(admin_user)
    assert len(client.get("/api/v1/packages/", {"page_size": "2"}).json()["results"]) == 2
    body = client.get("/api/v1/packages/", {"page_size": "5000"}).json()
    assert len(body["results"]) == 3 and body["next"] is None


def test_page_size_is_documented_from_1(document):
    parameters = document["paths"]["/api/v1/packages/"]["get"]["parameters"]
    page_size = next(p for p in parameters if p["name"] == "page_size")
    assert page_size["schema"]["minimum"] == 1
