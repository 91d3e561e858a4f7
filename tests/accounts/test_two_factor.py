"""A second factor for staff: set up an authenticator, give its code at sign-in."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import tokens
from core import clock
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _required(settings):
    settings.STAFF_TWO_FACTOR = True


def code(device, *, drift=0):
    return f"{totp(device.bin_key, drift=drift):06d}"


def sign_in(client, user):
    return client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


@pytest.mark.parametrize("role", ["admin_user", "broker", "commissioner", "finance"])
def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, role, request):
    user = request.getfixturevalue(role)
    sign_in(client, user)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/set-up/")
    html = response.content.decode()
    assert "<svg" in html
    assert response.context["secret"].replace(" ", "") != ""
    assert response.context["navigation"] == []


def test_setting_up_takes_a_code_from_the_new_app_and_lets_the_broker_in(
    client, broker, time_machine
):
    sign_in(client, broker)
    assert client.get("/packages/worklist/").url.startswith("/accounts/two-factor/set-up/")
    client.get("/accounts/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=broker, confirmed=False)
    wrong = client.post("/accounts/two-factor/set-up/?next=/packages/worklist/", {"code": "000000"})
    assert "The security code is wrong" in wrong.content.decode()
    assert "govuk-error-summary" in wrong.content.decode()
    time_machine.move_to(clock.now() + datetime.timedelta(seconds=2))  # past a wrong code's wait
    response = client.post(
        "/accounts/two-factor/set-up/?next=/packages/worklist/", {"code": code(device)}
    )
    assert response.url == "/packages/worklist/"
    device.refresh_from_db()
    assert device.confirmed
    worklist = client.get("/packages/worklist/")
    assert worklist.status_code == 200
    assert any(item["label"] == "Worklist" for item in worklist.context["navigation"])


def test_at_sign_in_the_code_is_asked_for_and_the_navigation_hidden(client, finance):
    device = confirmed_device(finance)
    sign_in(client, finance)
    response = client.get("/invoices/board/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/two-factor/?next=%2Finvoices%2Fboard%2F"
    assert response.context["navigation"] == []
    assert "Payment board" not in response.content.decode()
    response = client.post(response.redirect_chain[-1][0], {"code": code(device)})
    assert response.url == "/invoices/board/"
    assert client.get("/invoices/board/").status_code == 200


def test_a_wrong_code_keeps_the_door_shut(client, finance):
    confirmed_device(finance)
    sign_in(client, finance)
    response = client.post("/accounts/two-factor/", {"code": "12345x"})
    assert "Enter the security code as 6 digits" in response.content.decode()
    client.post("/accounts/two-factor/", {"code": "000000"})
    assert client.get("/invoices/board/").status_code == 302


def test_the_password_alone_cannot_set_up_another_app(client, broker):
    confirmed_device(broker)
    sign_in(client, broker)
    assert client.get("/accounts/two-factor/set-up/").url == "/accounts/two-factor/"
    assert not TOTPDevice.objects.filter(confirmed=False).exists()


def test_the_session_reaches_no_api_before_the_code(client, broker):
    sign_in(client, broker)
    assert client.get("/api/v1/zones/").status_code == 403


def test_a_token_call_beside_a_session_reads_neither_the_session_nor_its_user(client, broker):
    """The API answers for itself (accounts.authentication): the middleware asking for a
    code does not read the session first, so a token's call costs its token's read alone."""
    sign_in(client, broker)
    _, key = tokens.issue(broker)
    client.get("/api/v1/zones/", HTTP_AUTHORIZATION=f"Token {key}")  # the content types read
    with CaptureQueriesContext(connection) as called:
        assert client.get("/api/v1/zones/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert not [q for q in called.captured_queries if "django_session" in q["sql"]]


def test_provider_users_are_not_asked(client, provider_user):
    sign_in(client, provider_user)
    assert client.get("/brokering/offers/").status_code == 200


def test_api_tokens_are_unaffected(api, finance):
    confirmed_device(finance)
    response = api().post("/api/v1/auth/token/", {"username": "finance1", "password": PASSWORD})
    assert response.status_code == 200
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/invoices/").status_code == 200


def test_the_demo_may_go_without(client, broker, settings):
    settings.STAFF_TWO_FACTOR = False
    sign_in(client, broker)
    assert client.get("/packages/worklist/").status_code == 200
