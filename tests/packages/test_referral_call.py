"""The referral a broker takes on the phone (API.md v1.1 "A package's life"): who referred,
the person's phone, next of kin and how to get in, what matters to them, the goals. A
provider sees them only once the package is placed with it, and each look is logged."""

import datetime
import json

import pytest

from brokering import services as brokering
from brokering.models import Offer
from core import clock
from packages.models import Package, Person, PersonAccess
from tests.factories import ContractFactory, PersonFactory
from zones.models import AllocationMode

pytestmark = pytest.mark.django_db

KEY_SAFE = "Key safe by the back door, code 4321"
CALL = {
    "referrer": {"name": "Sam Patel", "organisation": "RD&E Ward A5", "phone": "01392 411611"},
    "goals": ["independence", "feel_safe", "independence"],
    "preferences": "No visits before 8am; female carers",
}
CONTACT = {
    "phone": "01392 000111",
    "next_of_kin": "Jane Ashworth, daughter, 07700 900123",
    "access_notes": KEY_SAFE,
}


@pytest.fixture
def phone_referral(referral):
    referral["person"] |= CONTACT
    referral["start_date"] = referral["hospital_ready_on"] = clock.today().isoformat()
    return referral | CALL


def test_the_call_is_recorded_and_answered_as_sent(api, broker, phone_referral):
    response = api(broker).post("/api/v1/packages/", phone_referral, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["referrer"] == CALL["referrer"]
    assert body["goals"] == ["independence", "feel_safe"]
    assert body["preferences"] == CALL["preferences"]
    assert {k: body["person"][k] for k in CONTACT} == CONTACT
    person = Person.objects.get()
    assert (person.phone, person.access_notes) == ("01392 000111", KEY_SAFE)


def test_next_of_kin_may_be_given_in_parts(api, broker, referral):
    kin = {"name": "Jane Ashworth", "relationship": "daughter", "phone": "07700 900123"}
    referral["person"]["next_of_kin"] = kin
    response = api(broker).post("/api/v1/packages/", referral, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["person"]["next_of_kin"] == kin
    assert Person.objects.get().next_of_kin_text == "Jane Ashworth (daughter), 07700 900123"


def test_without_the_call_the_person_reads_as_in_v1(api, broker, referral):
    body = api(broker).post("/api/v1/packages/", referral, format="json").json()
    assert body["referrer"] is None and body["goals"] == [] and body["preferences"] == ""
    assert not set(body["person"]) & {"phone", "next_of_kin", "access_notes"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"goals": ["happiness"]}, "goals"),
        ({"referrer": {"phone": "call me"}}, "referrer"),
        ({"person": {"phone": "12"}}, "person"),
        ({"person": {"next_of_kin": ["Jane"]}}, "person"),
        ({"person": {"next_of_kin": {"email": "jane@example.org"}}}, "person"),
    ],
)
def test_bad_call_details_answer_400_naming_the_field(api, broker, referral, change, field):
    for key, value in change.items():
        referral[key] = (
            referral[key] | value if isinstance(value, dict) and key == "person" else value
        )
    response = api(broker).post("/api/v1/packages/", referral, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Package.objects.exists()


def test_a_draft_takes_the_call_by_patch(api, broker, referral):
    client = api(broker)
    package = client.post("/api/v1/packages/", referral, format="json").json()
    response = client.patch(
        f"/api/v1/packages/{package['id']}/",
        {"referrer": CALL["referrer"], "goals": ["control"], "person": {"phone": "01392 000222"}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["referrer"]["organisation"] == "RD&E Ward A5"
    assert response.json()["goals"] == ["control"]
    assert response.json()["person"]["phone"] == "01392 000222"


def test_a_known_persons_missing_phone_is_filled_and_a_different_one_asks_first(
    api, broker, referral, zone
):
    PersonFactory(
        nhs_number="9434765919",
        given_name="Ada",
        family_name="Ashworth",
        date_of_birth=datetime.date(1938, 5, 17),
        address_line="1 Fore Street, Exeter",
        postcode="EX2 4QD",
    )
    client = api(broker)
    referral["person"]["phone"] = "01392 000111"
    assert client.post("/api/v1/packages/", referral, format="json").status_code == 201
    assert Person.objects.get().phone == "01392 000111"
    referral["person"]["phone"] = "01392 999999"
    response = client.post("/api/v1/packages/", referral, format="json")
    assert response.status_code == 400
    assert "phone number differs" in response.json()["person"]["phone"][0]
    referral["update_person"] = True
    assert client.post("/api/v1/packages/", referral, format="json").status_code == 201
    assert Person.objects.get().phone == "01392 999999"


def test_a_provider_sees_the_call_only_once_placed_with_it(
    api, page, users, zone, provider_org, other_provider_org, phone_referral
):
    zone.allocation_mode = AllocationMode.BROADCAST
    zone.save()
    for provider in (provider_org, other_provider_org):
        ContractFactory(zone=zone, provider=provider, role="framework")
    broker = api(users["broker"])
    package_id = broker.post("/api/v1/packages/", phone_referral, format="json").json()["id"]
    broker.post(f"/api/v1/packages/{package_id}/submit/")
    brokering.advance_brokering(package_id=package_id)
    ours = Offer.objects.get(package_id=package_id, provider=provider_org)
    provider, rival = api(users["provider"]), api(users["other_provider"])

    # Offered: the offer says nothing of the call; the package itself is not theirs to see.
    for client, offer in ((provider, ours), (rival, Offer.objects.exclude(pk=ours.pk).get())):
        text = json.dumps(client.get(f"/api/v1/offers/{offer.pk}/").json())
        for secret in ("4321", "01392", "Jane", "Sam Patel", "female carers", "independence"):
            assert secret not in text
        assert client.get(f"/api/v1/packages/{package_id}/").status_code == 404
    portal = page(users["provider"]).get(f"/offers/{ours.pk}/").content.decode()
    assert "4321" not in portal and "Jane Ashworth" not in portal
    assert page(users["provider"]).get(f"/packages/{package_id}/").status_code == 404
    seen_before = PersonAccess.objects.filter(user=users["provider"]).count()

    assert provider.post(f"/api/v1/offers/{ours.pk}/accept/").status_code == 200
    body = provider.get(f"/api/v1/packages/{package_id}/").json()
    assert body["person"]["access_notes"] == KEY_SAFE
    assert body["referrer"]["phone"] == "01392 411611"
    html = page(users["provider"]).get(f"/packages/{package_id}/").content.decode()
    assert "code 4321" in html and "Jane Ashworth, daughter" in html and "Sam Patel" in html
    # Each look at the record is in the access log, as any view of the person's is.
    looks = PersonAccess.objects.filter(user=users["provider"]).order_by("at", "pk")
    assert [a.via for a in looks[seen_before:]][-2:] == [
        f"GET /api/v1/packages/{package_id}/",
        f"/packages/{package_id}/",
    ]
    # The provider that lost the race still sees none of it.
    assert rival.get(f"/api/v1/packages/{package_id}/").status_code == 404
    assert page(users["other_provider"]).get(f"/packages/{package_id}/").status_code == 404
