"""Every answer of POST /api/v1/offers/{id}/accept/ (API.md "Offers"), its status and its body
exactly: who may not call it (401, 403), which offers it does not show (404) and which it
turns away (409)."""

import datetime
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models.sql.compiler import SQLCompiler
from django.test import override_settings

from accounts import tokens
from accounts.models import ApiToken, User
from brokering import services
from brokering.models import Offer, OfferStatus
from brokering.permissions import offer_for, offers_for
from core import clock
from tests.factories import ZoneFactory
from zones.models import AllocationMode

from .factories import market, open_package

pytestmark = pytest.mark.django_db

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
INVALID = {"detail": "Invalid token."}
NOT_FOUND = {"detail": "No Offer matches the given query."}
# An id that is not a number (DRF's get_object_or_404 says no more).
NOT_AN_ID = {"detail": "Not found."}
FORBIDDEN = {"detail": "You do not have permission to perform this action."}


@pytest.fixture
def offers(users, provider_org, other_provider_org):
    """A broadcast package offered to the fixture users' two providers: {provider id: offer}."""
    zone, _ = market(AllocationMode.BROADCAST, primary=False, secondary=False)
    zone.contracts.create(provider=provider_org, role="primary", share_percent=0)
    zone.contracts.create(provider=other_provider_org, role="secondary", share_percent=0)
    made = services.advance_brokering(package_id=open_package(zone).pk)
    return {o.provider_id: o for o in made}


def accept(client, offer_id):
    return client.post(f"/api/v1/offers/{offer_id}/accept/")


def answer(response):
    return response.status_code, response.json()


def test_without_credentials_or_with_a_wrong_token_it_is_401(api, offers, provider_org):
    offer_id = offers[provider_org.pk].pk
    anonymous = accept(api(), offer_id)
    assert answer(anonymous) == (401, NOT_PROVIDED)
    assert anonymous["WWW-Authenticate"] == "Token"
    for header in ("Token 0123456789abcdef", "Token", "Token a b", "Token caf\xe9"):
        client = api()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert accept(client, offer_id).status_code == 401, header
    wrong = api()
    wrong.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert answer(accept(wrong, offer_id)) == (401, INVALID)


def signed_in(api, user):
    token, key = tokens.issue(user)
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, token, key


def test_a_token_of_the_right_key_but_another_digest_is_401(api, users, offers, provider_org):
    client, _, key = signed_in(api, users["provider"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {key[:-1]}{'0' if key[-1] != '0' else '1'}")
    assert answer(accept(client, offers[provider_org.pk].pk)) == (401, INVALID)


def test_an_expired_token_is_401_and_deleted(api, users, offers, provider_org, time_machine):
    client, token, _ = signed_in(api, users["provider"])
    time_machine.move_to(token.expiry + datetime.timedelta(seconds=1), tick=False)
    assert answer(accept(client, offers[provider_org.pk].pk)) == (401, INVALID)
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_an_inactive_users_token_is_401(api, users, offers, provider_org):
    client, _, _ = signed_in(api, users["provider"])
    User.objects.filter(pk=users["provider"].pk).update(is_active=False)
    answered = accept(client, offers[provider_org.pk].pk)
    assert answer(answered) == (401, {"detail": "User inactive or deleted."})


def test_a_token_is_renewed_when_knox_refreshes_them(api, users, offers, provider_org, settings):
    client, token, _ = signed_in(api, users["provider"])
    ApiToken.objects.filter(pk=token.pk).update(expiry=clock.now() + datetime.timedelta(hours=1))
    with override_settings(REST_KNOX={**settings.REST_KNOX, "AUTO_REFRESH": True}):
        assert accept(client, offers[provider_org.pk].pk).status_code == 200
    renewed = ApiToken.objects.get(pk=token.pk).expiry
    assert renewed > clock.now() + datetime.timedelta(hours=settings.API_TOKEN_TTL_HOURS - 1)


@pytest.mark.parametrize("role", ["broker", "commissioner", "finance"])
def test_a_role_that_never_answers_offers_is_403(api, users, offers, provider_org, role):
    assert answer(accept(api(users[role]), offers[provider_org.pk].pk)) == (403, FORBIDDEN)


def test_an_offer_the_provider_may_not_see_is_404(api, users, offers, other_provider_org):
    client = api(users["provider"])
    theirs = offers[other_provider_org.pk].pk
    for offer_id in (theirs, theirs + 1000, -1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30):
        assert answer(accept(client, offer_id)) == (404, NOT_FOUND), offer_id
    for offer_id in ("x1", "1e3", "1.5"):
        assert answer(accept(client, offer_id)) == (404, NOT_AN_ID), offer_id
    assert Offer.objects.get(pk=theirs).status == OfferStatus.PENDING


def test_the_winner_is_answered_its_offer_and_a_loser_409(
    api, users, offers, provider_org, other_provider_org
):
    mine, theirs = offers[provider_org.pk], offers[other_provider_org.pk]
    client = api(users["provider"])

    won = accept(client, mine.pk)

    assert won.status_code == 200
    assert won.json() == client.get(f"/api/v1/offers/{mine.pk}/").json()
    assert won.json()["status"] == "accepted" and won.json()["provider"] == "PROV-A"
    assert answer(accept(client, mine.pk)) == (
        409,
        {"detail": "This offer has already been accepted."},
    )
    lost = accept(api(users["other_provider"]), theirs.pk)
    taken = "This offer is no longer available: taken by another provider."
    assert answer(lost) == (409, {"detail": taken})


@pytest.mark.parametrize(
    ("status", "detail"),
    [
        (OfferStatus.DECLINED, "This offer has already been declined."),
        (OfferStatus.EXPIRED, "This offer has expired."),
        (OfferStatus.WITHDRAWN, "This offer was withdrawn."),
    ],
)
def test_an_offer_no_longer_pending_is_409_saying_why(
    api, users, offers, provider_org, status, detail
):
    offer = offers[provider_org.pk]
    Offer.objects.filter(pk=offer.pk).update(
        status=status, answered_at=clock.now(), decline_reason="other"
    )
    assert answer(accept(api(users["provider"]), offer.pk)) == (409, {"detail": detail})


def test_an_administrator_accepts_for_any_provider(api, users, offers, other_provider_org):
    offer = offers[other_provider_org.pk]
    won = accept(api(users["admin"]), offer.pk)
    assert won.status_code == 200 and won.json()["provider"] == "PROV-B"
    assert answer(accept(api(users["admin"]), offer.pk + 1000)) == (404, NOT_FOUND)


def test_a_refused_accept_compiles_no_query(api, users, offers, provider_org):
    """Its token and its offer are read by queries compiled once (a race's losers, by the
    thousand, would each build and compile both again)."""
    offer = offers[provider_org.pk]
    Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.WITHDRAWN)
    client = api(users["provider"])
    accept(client, offer.pk)
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql):
        assert accept(client, offer.pk).status_code == 409
        assert SQLCompiler.as_sql.call_count == 0


def test_a_refused_answer_is_logged_at_info_saying_why(
    api, users, offers, provider_org, other_provider_org, caplog
):
    """A race's losers are expected (the access log has each): not a WARNING apiece."""
    accept(api(users["provider"]), offers[provider_org.pk].pk)
    caplog.set_level("INFO", logger="django.request")
    client = api(users["other_provider"])
    theirs = offers[other_provider_org.pk].pk

    assert accept(client, theirs).status_code == 409
    assert accept(client, theirs + 1000).status_code == 404

    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "django.request"]
    assert logged == [
        (
            "INFO",
            f"Conflict: /api/v1/offers/{theirs}/accept/ (This offer is no longer available: "
            "taken by another provider.)",
        ),
        ("WARNING", f"Not Found: /api/v1/offers/{theirs + 1000}/accept/"),
    ]


@pytest.mark.parametrize("role", ["admin", "broker", "commissioner", "finance", "provider"])
def test_offer_for_finds_what_offers_for_shows(users, offers, provider_org, role):
    """The accept's compiled read (offer_for) answers as the scoped queryset, for any
    reach, a user who sees nothing included (an anonymous one, a deactivated one)."""
    user = users[role]
    for offer in offers.values():
        expected = offers_for(user).filter(pk=offer.pk).first()
        assert offer_for(user, offer.pk) == expected
    assert offer_for(AnonymousUser(), offers[provider_org.pk].pk) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.refresh_from_db()
    assert offer_for(user, offers[provider_org.pk].pk) is None


def test_offer_for_keeps_a_broker_to_its_zones(users, offers, provider_org):
    broker, offer = users["broker"], offers[provider_org.pk]
    assert offer_for(broker, offer.pk) == offer
    broker.zones.add(ZoneFactory(districts=["TQ1"]))
    broker = User.objects.get(pk=broker.pk)
    assert offer_for(broker, offer.pk) is None
    broker.zones.add(offer.package.zone)
    assert offer_for(User.objects.get(pk=broker.pk), offer.pk) == offer
