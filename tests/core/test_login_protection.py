"""Repeated failed sign-ins lock the account out (django-axes); the token endpoint is throttled."""

import pytest
from django.conf import settings
from django.core.cache import cache

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # DRF counts token requests in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_the_right_password_signs_in(client, broker):
    response = sign_in(client, broker.username, PASSWORD)
    assert response.status_code == 302


def test_a_wrong_password_shows_the_form_again(client, broker):
    response = sign_in(client, broker.username, "wrong")
    assert response.status_code == 200
    assert b"Enter a correct username and password" in response.content


def test_repeated_failures_lock_the_login_page_even_for_the_right_password(client, broker):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, broker.username, "wrong")
    response = sign_in(client, broker.username, PASSWORD)
    assert response.status_code == 429
    assert b"locked" in response.content.lower()
    assert "_auth_user_id" not in client.session


def test_failures_below_the_limit_do_not_lock(client, broker):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, broker.username, "wrong")
    assert sign_in(client, broker.username, PASSWORD).status_code == 302


def test_the_token_endpoint_answers_a_token_for_the_right_password(api, broker):
    response = api().post(
        "/api/v1/auth/token/", {"username": broker.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"]


def test_repeated_failures_lock_the_token_endpoint_too(api, broker):
    client = api()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": broker.username, "password": "wrong"})
    response = client.post(
        "/api/v1/auth/token/", {"username": broker.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()


def test_the_token_endpoint_is_throttled(api, broker):
    client = api()
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    # Different usernames, so this is the throttle at work and not the lockout.
    for attempt in range(rate):
        client.post("/api/v1/auth/token/", {"username": f"nobody{attempt}", "password": "x"})
    response = client.post(
        "/api/v1/auth/token/", {"username": broker.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
