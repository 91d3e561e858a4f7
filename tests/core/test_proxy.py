"""Behind the TLS proxy: lockout, throttling and the access log use the client's real address.

The audit found every user sharing the proxy's address, so that five bad tries
by anyone locked finance out for everyone.
"""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory

from core.net import client_ip
from packages.models import PersonAccess
from tests.factories import PASSWORD, PackageFactory

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
ATTACKER, FINANCE_DESK = "203.0.113.9", "198.51.100.7"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    cache.clear()
    yield
    cache.clear()


def through_proxy(address, forwarded_by_client=""):
    """A client whose requests reach the app through our proxy, from `address`."""
    chain = f"{forwarded_by_client}, {address}" if forwarded_by_client else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.7", PROXY),  # No proxy of ours: the header is the client's own.
        (1, "", PROXY),
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # The client's own entry is ignored.
        (2, "1.2.3.4, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (3, "198.51.100.7", "198.51.100.7"),
        (1, "not-an-address", None),
    ],
)
def test_the_client_is_that_many_entries_from_the_right(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **meta)) == expected


def test_bad_tries_from_one_address_do_not_lock_finance_out_elsewhere(finance):
    attacker = through_proxy(ATTACKER, forwarded_by_client=FINANCE_DESK)  # spoofing, too
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post("/accounts/login/", {"username": finance.username, "password": "wrong"})
    locked = attacker.post("/accounts/login/", {"username": finance.username, "password": PASSWORD})
    assert locked.status_code == 429
    desk = through_proxy(FINANCE_DESK)
    response = desk.post("/accounts/login/", {"username": finance.username, "password": PASSWORD})
    assert response.status_code == 302


def test_the_token_throttle_counts_each_client_apart(broker):
    rate = int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"].split("/")[0])
    noisy = through_proxy(ATTACKER)
    for attempt in range(rate):
        noisy.post("/api/v1/auth/token/", {"username": f"nobody{attempt}", "password": "x"})
    body = {"username": broker.username, "password": PASSWORD}
    assert noisy.post("/api/v1/auth/token/", body).status_code == 429
    assert through_proxy(FINANCE_DESK).post("/api/v1/auth/token/", body).status_code == 200


def test_the_access_log_keeps_the_clients_address(broker):
    package = PackageFactory()
    client = through_proxy(FINANCE_DESK)
    client.force_login(broker)
    assert client.get(f"/packages/{package.pk}/").status_code == 200
    assert PersonAccess.objects.get().ip_address == FINANCE_DESK
