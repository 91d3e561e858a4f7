import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


def test_a_token_for_good_credentials(api, users):
    response = api().post(URL, {"username": "broker1", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/zones/").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"username": "broker1", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "broker1"},
        {},
    ],
)
def test_bad_credentials_are_400(api, users, body):
    response = api().post(URL, body, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_a_bad_token_is_401(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/zones/").status_code == 401


def test_a_locked_account_is_told_so_even_with_the_right_password(api, users, settings):
    # Failed attempts are counted in the database by django-axes, per username and address.
    client = api()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(URL, {"username": "broker1", "password": "wrong"}).status_code == 400
    # The failure that reaches the limit locks the account, and says so.
    assert client.post(URL, {"username": "broker1", "password": "wrong"}).status_code == 429
    response = client.post(URL, {"username": "broker1", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]
    assert "token" not in response.json()


def test_a_lockout_is_per_account(api, users, settings):
    client = api()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(URL, {"username": "broker1", "password": "wrong"})
    response = client.post(URL, {"username": "finance1", "password": PASSWORD}, format="json")
    assert response.status_code == 200
