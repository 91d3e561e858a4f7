"""API tokens: kept hashed, expiring, revoked when the account changes or by their holder."""

import datetime

import pytest
from django.db import connection
from knox.crypto import hash_token

from accounts import tokens
from accounts.migrations import __name__ as migrations_package
from accounts.models import ApiToken, Role
from accounts.services import save_account
from core import clock
from tests.factories import PASSWORD, ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
STRONG = "a-long-new-passphrase-42"


def signed_in(api, user):
    key = api().post(URL, {"username": user.username, "password": PASSWORD}).json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, key


def test_a_token_is_stored_only_as_its_digest(api, broker):
    _, key = signed_in(api, broker)
    token = ApiToken.objects.get()
    assert token.digest == hash_token(key)
    stored = ApiToken.objects.values_list("digest", "token_key").get()
    assert key not in stored
    assert "authtoken_token" not in connection.introspection.table_names()


def test_a_token_carries_its_expiry_and_stops_working_after_it(api, broker, time_machine, settings):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    response = api().post(URL, {"username": "broker1", "password": PASSWORD})
    assert response.json()["expiry"] == "2026-12-02T21:00:00Z"
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    time_machine.move_to(clock.now() + datetime.timedelta(hours=settings.API_TOKEN_TTL_HOURS - 1))
    assert client.get("/api/v1/zones/").status_code == 200
    time_machine.move_to(clock.now() + datetime.timedelta(hours=2))
    assert client.get("/api/v1/zones/").status_code == 401
    assert not ApiToken.objects.exists()


def test_a_new_password_revokes_every_token(api, broker):
    client, _ = signed_in(api, broker)
    signed_in(api, broker)
    save_account(username="broker1", role=Role.BROKER, password=STRONG)
    assert client.get("/api/v1/zones/").status_code == 401
    assert not ApiToken.objects.exists()


def test_a_password_set_anywhere_else_revokes_too(api, broker):
    client, _ = signed_in(api, broker)
    broker.set_password(STRONG)
    broker.save()
    assert client.get("/api/v1/zones/").status_code == 401


def test_a_role_change_revokes_so_no_token_gains_the_new_scope(api, finance):
    client, _ = signed_in(api, finance)
    provider = ProviderFactory()
    save_account(
        username="finance1", role=Role.PROVIDER, provider_code=provider.code, password=PASSWORD
    )
    assert client.get("/api/v1/offers/").status_code == 401


def test_a_move_to_another_organisation_revokes(api, provider_user):
    client, _ = signed_in(api, provider_user)
    provider_user.provider = ProviderFactory()
    provider_user.save()
    assert client.get("/api/v1/zones/").status_code == 401


def test_new_zones_for_a_broker_revoke(api, broker):
    client, _ = signed_in(api, broker)
    broker.zones.set([ZoneFactory()])
    assert client.get("/api/v1/zones/").status_code == 401


def test_signing_in_again_or_on_the_pages_keeps_the_other_tokens(api, page, broker, client):
    first, _ = signed_in(api, broker)
    signed_in(api, broker)
    # Signing in on the pages saves last_login.
    client.post("/accounts/login/", {"username": "broker1", "password": PASSWORD})
    broker.refresh_from_db()
    assert broker.last_login is not None
    assert first.get("/api/v1/zones/").status_code == 200
    assert ApiToken.objects.count() == 2


def test_the_holder_lists_its_tokens_without_keys_and_revokes_one(api, broker):
    client, key = signed_in(api, broker)
    other, _ = signed_in(api, broker)
    listed = client.get("/api/v1/auth/tokens/").json()["results"]
    assert len(listed) == 2
    assert {tuple(sorted(row)) for row in listed} == {("created", "current", "expiry", "id")}
    assert key not in str(listed)
    current = next(row for row in listed if row["current"])
    assert other.delete(f"/api/v1/auth/tokens/{current['id']}/").status_code == 204
    assert client.get("/api/v1/zones/").status_code == 401
    assert other.get("/api/v1/zones/").status_code == 200


def test_another_users_token_is_404(api, broker, finance):
    signed_in(api, finance)
    finance_token = ApiToken.objects.get()
    client, _ = signed_in(api, broker)
    assert client.delete(f"/api/v1/auth/tokens/{finance_token.pk}/").status_code == 404
    assert client.delete("/api/v1/auth/tokens/not-an-id/").status_code == 404
    assert ApiToken.objects.filter(pk=finance_token.pk).exists()


def test_revoking_is_in_the_audit_trail(api, broker):
    from auditlog.models import LogEntry

    client, _ = signed_in(api, broker)
    token = ApiToken.objects.get()
    client.delete(f"/api/v1/auth/tokens/{token.pk}/")
    entry = LogEntry.objects.filter(object_pk=str(broker.pk)).latest("timestamp")
    assert entry.changes_dict["api_tokens"] == [str(token.pk), "revoked"]


def test_the_admin_shows_no_key_and_no_digest(client, admin_user, broker):
    _, key = tokens.issue(broker)
    token = ApiToken.objects.get()
    client.force_login(admin_user)
    listing = client.get("/admin/accounts/apitoken/").content.decode()
    detail = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert "broker1" in listing
    for html in (listing, detail):
        assert key not in html
        assert key[:8] not in html
        assert token.digest[:16] not in html
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403


def test_a_header_that_is_not_utf8_is_401(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token caf\xe9")
    assert client.get("/api/v1/zones/").status_code == 401


def test_plain_tokens_left_by_drf_become_hashed_and_their_table_goes(broker):
    migration = __import__(f"{migrations_package}.0003_api_tokens", fromlist=["x"])
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.schema_editor() as editor:
        editor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, "
            "user_id bigint)"
        )
        editor.execute(
            f"INSERT INTO authtoken_token VALUES ('{key}', CURRENT_TIMESTAMP, {broker.pk})"
        )
        from django.apps import apps

        migration.hash_plain_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get()
    assert (token.user, token.digest) == (broker, hash_token(key))
    assert token.expiry > clock.now()


def test_the_tokens_page_lists_ones_own_and_revokes_one(page, broker, finance):
    mine, _ = tokens.issue(broker)
    tokens.issue(finance)
    client = page(broker)
    html = client.get("/accounts/tokens/").content.decode()
    assert html.count("Revoke<span") == 1
    assert f"/accounts/tokens/{mine.pk}/revoke/" in html
    response = client.post(f"/accounts/tokens/{mine.pk}/revoke/", follow=True)
    assert "The token is revoked" in response.content.decode()
    assert list(ApiToken.objects.values_list("user__username", flat=True)) == ["finance1"]
    finance_token = ApiToken.objects.get()
    assert client.post(f"/accounts/tokens/{finance_token.pk}/revoke/").status_code == 404
