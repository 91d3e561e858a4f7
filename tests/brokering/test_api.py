"""The offers part of the public contract (API.md "Offers") and the broker's package actions."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brokering import services
from brokering.models import Offer, OfferStatus
from packages.models import EventKind, PackageStatus
from tests.factories import (
    BrokerFactory,
    ContractFactory,
    PackageFactory,
    ProviderFactory,
    ProviderUserFactory,
    ZoneFactory,
)
from zones.models import AllocationMode

from .factories import OfferFactory, market, open_package

pytestmark = pytest.mark.django_db

# A winning accept through the API, the test's savepoints included (before: 3 more for each
# offer it withdrew, 51 with 11).
WINNING_ACCEPT_STATEMENTS = 31

SUMMARY_KEYS = {"zone", "postcode_district", "weekly_hours", "visits", "start_date", "priority"}


@pytest.fixture
def offers(users, provider_org, other_provider_org):
    """A broadcast package offered to the fixture users' two providers."""
    zone, _ = market(AllocationMode.BROADCAST, primary=False, secondary=False)
    zone.contracts.create(provider=provider_org, role="primary", share_percent=0)
    zone.contracts.create(provider=other_provider_org, role="secondary", share_percent=0)
    package = open_package(zone, needs="Hoist transfers")
    made = services.advance_brokering(package_id=package.pk)
    return {o.provider_id: o for o in made} | {"package": package, "zone": zone}


def url(offer, action=""):
    return f"/api/v1/offers/{offer.pk}/" + (f"{action}/" if action else "")


def test_list_needs_credentials(api):
    assert api().get("/api/v1/offers/").status_code == 401


@pytest.mark.parametrize(
    ("role", "count"),
    [
        ("admin", 2),
        ("broker", 2),
        ("commissioner", 2),
        ("finance", 2),
        ("provider", 1),
        ("other_provider", 1),
    ],
)
def test_list_is_scoped_to_the_role(api, users, offers, role, count):
    response = api(users[role]).get("/api/v1/offers/")
    assert response.status_code == 200
    assert response.json()["count"] == count
    if role == "provider":
        assert response.json()["results"][0]["provider"] == "PROV-A"


def test_a_zone_limited_broker_sees_only_its_zones_offers(api, users, offers):
    users["broker"].zones.add(ZoneFactory(districts=["TQ1"]))
    assert api(users["broker"]).get("/api/v1/offers/").json()["count"] == 0


def test_another_providers_offer_is_404(api, users, offers, provider_org, other_provider_org):
    theirs = offers[other_provider_org.pk]
    client = api(users["provider"])
    assert client.get(url(theirs)).status_code == 404
    assert client.post(url(theirs, "accept")).status_code == 404
    assert client.post(url(theirs, "decline"), {"reason": "no capacity"}).status_code == 404


def test_offer_shape_and_summary_carry_no_personal_data(api, users, offers, provider_org):
    response = api(users["provider"]).get(url(offers[provider_org.pk]))

    assert response.status_code == 200
    body = response.json()
    assert {"id", "package", "provider", "status", "sent_at", "expires_at", "summary"} <= set(body)
    assert body["status"] == "pending" and body["provider"] == "PROV-A"
    assert body["package"] == offers["package"].pk
    assert set(body["summary"]) >= SUMMARY_KEYS
    summary = body["summary"]
    assert summary["zone"] == offers["zone"].code and summary["postcode_district"] == "EX1"
    assert summary["weekly_hours"] == "5.25" and summary["priority"] == "standard"
    assert summary["visits"] == [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "time": "08:00",
            "duration_minutes": 45,
            "carers": 1,
            "purpose": "personal_care",
        }
    ]
    assert summary["start_date"] == offers["package"].start_date.isoformat()
    assert body["expires_at"][:4].isdigit() and (
        "+" in body["expires_at"][19:] or "Z" in body["expires_at"]
    )
    person = offers["package"].person
    text = json.dumps(body)
    for secret in (
        person.given_name,
        person.family_name,
        person.nhs_number,
        person.date_of_birth.isoformat(),
        person.address_line,
        person.postcode,
    ):
        assert secret not in text


@pytest.mark.parametrize("role", ["broker", "commissioner", "finance"])
def test_only_providers_answer_offers(api, users, offers, provider_org, role):
    offer = offers[provider_org.pk]
    assert api(users[role]).post(url(offer, "accept")).status_code == 403
    assert api(users[role]).post(url(offer, "decline"), {"reason": "x"}).status_code == 403
    assert api().post(url(offer, "accept")).status_code == 401


def test_accept_places_the_package_and_withdraws_the_rest(
    api, users, offers, provider_org, other_provider_org
):
    response = api(users["provider"]).post(url(offers[provider_org.pk], "accept"))

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    package = api(users["admin"]).get(f"/api/v1/packages/{offers['package'].pk}/").json()
    assert (package["status"], package["provider"]) == ("placed", "PROV-A")
    theirs = api(users["other_provider"]).get(url(offers[other_provider_org.pk])).json()
    assert theirs["status"] == "withdrawn"


def test_accept_conflicts_once_taken_or_not_pending(
    api, users, offers, provider_org, other_provider_org
):
    api(users["provider"]).post(url(offers[provider_org.pk], "accept"))

    again = api(users["provider"]).post(url(offers[provider_org.pk], "accept"))
    late = api(users["other_provider"]).post(url(offers[other_provider_org.pk], "accept"))

    assert again.status_code == 409 and late.status_code == 409
    assert "detail" in late.json()


def accepted_by_the_first(api, others, district):
    """A broadcast package offered to a provider with a user and `others` providers with a
    user each, accepted through the API by the first: answers its queries."""
    zone, providers = market(
        AllocationMode.BROADCAST, secondary=False, framework=others, district=district
    )
    for provider in providers["framework"]:
        ProviderUserFactory(provider=provider)
    first = ProviderUserFactory(provider=providers["primary"])
    offer, *_ = services.advance_brokering(package_id=open_package(zone).pk)
    client = api(first)
    with CaptureQueriesContext(connection) as accept:
        assert client.post(url(offer, "accept")).status_code == 200
    return accept.captured_queries


def test_a_winning_accept_takes_a_few_statements_however_many_offers_it_withdraws(api):
    accepted_by_the_first(api, 1, "EX1")  # the content types' cache filled

    few, many = accepted_by_the_first(api, 2, "EX2"), accepted_by_the_first(api, 40, "EX3")

    # Guarded update, placement, withdrawals, one audit insert and one notification insert,
    # and the answer read once (not the offer twice after its update).
    assert len(few) == len(many) <= WINNING_ACCEPT_STATEMENTS
    statements = [q["sql"].split()[0] for q in many]
    assert statements.count("INSERT") == 5  # placement, two timeline entries, notices, audit
    offer_reads = [q for q in many if q["sql"].startswith('SELECT "brokering_offer"."id"')]
    assert len(offer_reads) == 3  # by the view, the offers withdrawn, the answer


def test_decline_takes_a_reason_in_words_or_as_a_code(api, users, offers, provider_org):
    offer = offers[provider_org.pk]
    client = api(users["provider"])

    assert client.post(url(offer, "decline"), {}, format="json").status_code == 400
    assert "reason" in client.post(url(offer, "decline"), {}, format="json").json()
    response = client.post(url(offer, "decline"), {"reason": "No capacity"}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decline_reason"]) == (
        "declined",
        "no_capacity",
    )
    assert client.post(url(offer, "decline"), {"reason": "x"}).status_code == 409


def test_a_bare_other_is_enough_to_decline(api, users, offers, provider_org):
    response = api(users["provider"]).post(
        url(offers[provider_org.pk], "decline"), {"reason": "other"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["decline_reason"]) == ("declined", "other")


def test_a_free_text_reason_is_kept_as_other(api, users, offers, provider_org):
    response = api(users["provider"]).post(
        url(offers[provider_org.pk], "decline"), {"reason": "Our van broke down"}, format="json"
    )
    assert response.json()["decline_reason"] == "other"
    assert response.json()["decline_detail"] == "Our van broke down"


@pytest.mark.parametrize(
    ("body", "reason", "detail"),
    [
        # The contract's body is a reason alone: "part" without its words still declines.
        ({"reason": "part"}, "part", ""),
        ({"reason": "part", "detail": "The mornings only"}, "part", "The mornings only"),
        ({"reason": "Can do part of it: the mornings"}, "part", "the mornings"),
        ({"reason": "Cannot meet the call times"}, "call_times", ""),
        (
            {"reason": "call_times", "detail": "Not the 07:00 call"},
            "call_times",
            "Not the 07:00 call",
        ),
        ({"reason": "Van trouble: none of it"}, "other", "Van trouble: none of it"),
    ],
)
def test_decline_takes_the_new_reasons_with_or_without_words(
    api, users, offers, provider_org, body, reason, detail
):
    response = api(users["provider"]).post(
        url(offers[provider_org.pk], "decline"), body, format="json"
    )
    assert response.status_code == 200
    answered = response.json()
    assert (answered["decline_reason"], answered["decline_detail"]) == (reason, detail)


def test_filters_by_status_package_and_provider(api, users, offers, provider_org):
    OfferFactory(status=OfferStatus.WITHDRAWN)
    client = api(users["admin"])
    package = offers["package"].pk

    assert client.get("/api/v1/offers/?status=pending").json()["count"] == 2
    assert client.get("/api/v1/offers/?status=withdrawn").json()["count"] == 1
    assert client.get(f"/api/v1/offers/?package={package}").json()["count"] == 2
    assert client.get("/api/v1/offers/?provider=PROV-A").json()["count"] == 1
    assert client.get("/api/v1/offers/?status=nonsense").status_code == 400
    assert client.get("/api/v1/offers/?package=abc").status_code == 400


def test_list_queries_do_not_grow_with_offers(api, users, django_assert_max_num_queries):
    zone, _ = market(AllocationMode.BROADCAST, framework=8)
    for _ in range(5):
        services.advance_brokering(package_id=open_package(zone).pk)
    client = api(users["admin"])
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/offers/?page_size=500")
    assert response.json()["count"] == 50


# --- POST /api/v1/packages/{id}/assign/ and the other broker actions -------


@pytest.fixture
def open_in_zone(db):
    zone, p = market(AllocationMode.BROADCAST)
    package = open_package(zone)
    services.advance_brokering(package_id=package.pk)
    return package, p


def assign(api, user, package, body):
    return api(user).post(f"/api/v1/packages/{package.pk}/assign/", body, format="json")


def test_assign_role_matrix(api, users, open_in_zone):
    package, p = open_in_zone
    body = {"provider": p["primary"].code}
    assert assign(api, None, package, body).status_code == 401
    for role in ("commissioner", "finance", "provider"):
        assert assign(api, users[role], package, body).status_code == 403
    elsewhere = BrokerFactory()
    elsewhere.zones.add(ZoneFactory(districts=["TQ9"]))
    assert assign(api, elsewhere, package, body).status_code == 404


def test_broker_assigns_by_hand_and_gets_the_package(api, users, open_in_zone):
    package, _ = open_in_zone
    chosen = ContractFactory(zone=package.zone, provider__code="HAND-1").provider

    response = assign(api, users["broker"], package, {"provider": "HAND-1", "reason": "Known"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["provider"]) == ("placed", "HAND-1")
    assert response.json()["id"] == package.pk
    assert not Offer.objects.filter(package=package, status=OfferStatus.PENDING).exists()
    assert chosen.packages.get() == package


@pytest.mark.parametrize(
    ("provider", "why"),
    [
        ({"status": "suspended"}, "is suspended, not active"),
        ({"cqc_rating": "inadequate"}, "only providers rated Outstanding or Good"),
        ({"weekly_hours_cap": 1}, "over its weekly cap of 1 hours"),
        ({}, "has no contract in"),
    ],
)
def test_assign_to_an_ineligible_provider_is_400_saying_why_unless_overridden(
    api, users, open_in_zone, provider, why
):
    package, _ = open_in_zone
    chosen = ProviderFactory(code="HAND-2", **provider)
    if provider:
        ContractFactory(zone=package.zone, provider=chosen)

    refused = assign(api, users["broker"], package, {"provider": "HAND-2"})
    assert refused.status_code == 400
    assert why in " ".join(refused.json()["provider"])
    assert package.events.filter(kind=EventKind.ASSIGNED).count() == 0

    body = {"provider": "HAND-2", "override_reason": "Only agency with a carer nearby"}
    placed = assign(api, users["broker"], package, body)
    assert placed.status_code == 200 and placed.json()["provider"] == "HAND-2"
    event = package.events.get(kind=EventKind.ASSIGNED)
    assert event.by == users["broker"]
    assert "Only agency with a carer nearby" in event.detail and why in event.detail
    assert users["broker"].username in event.detail


def test_assign_rejects_unknown_providers_and_closed_packages(api, users, open_in_zone):
    package, p = open_in_zone
    unknown = assign(api, users["broker"], package, {"provider": "NOPE"})
    assert unknown.status_code == 400 and "provider" in unknown.json()
    draft = PackageFactory(zone=package.zone)
    assert assign(api, users["broker"], draft, {"provider": p["primary"].code}).status_code == 409
    assert assign(api, users["admin"], package, {"provider": p["primary"].code}).status_code == 200
    assert assign(api, users["admin"], package, {"provider": p["primary"].code}).status_code == 409


def test_withdraw_and_rebroker_endpoints(
    api, users, open_in_zone, django_capture_on_commit_callbacks
):
    package, _ = open_in_zone
    client = api(users["broker"])

    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = client.post(f"/api/v1/packages/{package.pk}/withdraw-offers/")
    assert withdrawn.status_code == 200
    assert client.get(f"/api/v1/packages/{package.pk}/").json()["escalated"] is True

    with django_capture_on_commit_callbacks(execute=True):
        rebrokered = client.post(f"/api/v1/packages/{package.pk}/rebroker/")
    body = rebrokered.json()
    assert rebrokered.status_code == 200 and body["status"] == PackageStatus.OPEN
    assert body["brokering_round"] == 2
    assert Offer.objects.filter(package=package, status="pending", round=2).count() == 2
    assert (
        api(users["provider"]).post(f"/api/v1/packages/{package.pk}/rebroker/").status_code == 403
    )
