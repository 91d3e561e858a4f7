"""Fixtures shared by every test: a user per role and clients signed in as them."""

import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import tokens
from tests import factories

# The API fuzz's tally (tests/core/test_api_fuzz.py), gathered from every worker's reports.
_fuzz = {"operations": set(), "server_errors": set(), "schema_failures": set(), "other": set()}
_FUZZ_KINDS = {"ServerError": "server_errors", "JsonSchemaError": "schema_failures"}


def pytest_runtest_logreport(report):
    if report.when != "call":
        return
    properties = dict(report.user_properties)
    operation = properties.get("api_fuzz_operation")
    if operation is None:
        return
    run = (operation, report.nodeid)
    _fuzz["operations"].add(operation)
    for name, value in report.user_properties:
        if name == "api_fuzz_failure":
            _fuzz[_FUZZ_KINDS.get(value, "other")].add(run)


def pytest_terminal_summary(terminalreporter):
    if _fuzz["operations"]:
        terminalreporter.write_line(
            f"API fuzz (schemathesis): {len(_fuzz['operations'])} operations; runs with "
            f"server errors: {len(_fuzz['server_errors'])}, response-schema failures: "
            f"{len(_fuzz['schema_failures'])}, other failures: {len(_fuzz['other'])}"
        )


@pytest.fixture(autouse=True)
def _no_throttle_carried_over():
    # DRF counts token requests (20 a minute) in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Django's default PBKDF2 costs about a second a user here; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    return factories.AdminFactory(username="admin1")


@pytest.fixture
def broker(db):
    return factories.BrokerFactory(username="broker1")


@pytest.fixture
def commissioner(db):
    return factories.CommissionerFactory(username="commissioner1")


@pytest.fixture
def finance(db):
    return factories.FinanceFactory(username="finance1")


@pytest.fixture
def provider_org(db):
    return factories.ProviderFactory(code="PROV-A", name="Alpha Home Care")


@pytest.fixture
def other_provider_org(db):
    return factories.ProviderFactory(code="PROV-B", name="Beta Care Services")


@pytest.fixture
def provider_user(provider_org):
    return factories.ProviderUserFactory(username="provider1", provider=provider_org)


@pytest.fixture
def other_provider_user(other_provider_org):
    return factories.ProviderUserFactory(username="provider2", provider=other_provider_org)


@pytest.fixture
def users(admin_user, broker, commissioner, finance, provider_user, other_provider_user):
    """Every role, for role matrices: {"admin": ..., "broker": ..., ...}."""
    return {
        "admin": admin_user,
        "broker": broker,
        "commissioner": commissioner,
        "finance": finance,
        "provider": provider_user,
        "other_provider": other_provider_user,
    }


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated with the user's token; api() is anonymous."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            token, key = tokens.issue(user)
            # Tests move the clock by weeks; a token's lifetime has tests of its own.
            token.expiry += datetime.timedelta(days=3650)
            token.save(update_fields=["expiry"])
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def page(client):
    """page(user) -> a Django test client with the user signed in."""
    from django.test import Client

    def make(user=None):
        c = Client()
        if user is not None:
            c.force_login(user)
        return c

    return make
