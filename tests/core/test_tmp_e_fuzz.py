"""Every operation in our own OpenAPI schema, fuzzed in-process as an admin: never a 500.

Schemathesis reads /api/v1/schema/ from the WSGI app and generates requests from
it, valid and not, so each endpoint another part of the app adds is covered as
soon as it is in the schema. Bounded: a few examples per operation, the same
ones on every run (derandomised), so a failure here is reproducible.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from brokerage.wsgi import application
from tests.factories import AdminFactory

pytestmark = [pytest.mark.api_fuzz, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    # As Django's own test client does: the WSGI handler would otherwise close the
    # connection that holds the test's transaction at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    token, _ = Token.objects.get_or_create(user=AdminFactory(username="fuzz-admin"))
    return token.key


# Loaded at collection, so each operation is a test of its own (and xdist spreads them).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, admin_token):
    response = case.call(headers={"Authorization": f"Token {admin_token}"})
    case.validate_response(response, checks=[not_a_server_error]); print("CALL", case.method, case.path, response.status_code, flush=True)
