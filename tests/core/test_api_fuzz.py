"""Every operation in our own OpenAPI schema, fuzzed in-process as an admin: never a 500.

Schemathesis reads /api/v1/schema/ from the WSGI app, so each endpoint another
part of the app adds is covered as soon as it is in the schema. Its coverage
phase sends, per operation, a fixed set of requests built from the schema: valid
values, each boundary, each field missing or of the wrong type, unexpected
methods. That set is deterministic and bounded (a few dozen requests for most
operations, a few hundred for the largest bodies), so a failure here reproduces.
Its random fuzzing phase is off: on these request bodies it spends far more time
generating data than the coverage phase spends testing.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from brokerage.wsgi import application
from tests.factories import AdminFactory

pytestmark = [pytest.mark.api_fuzz, pytest.mark.django_db]

USERS = {"admin": AdminFactory}
CONFIG = SchemathesisConfig.from_dict({"phases": {"fuzzing": {"enabled": False}}})
# Loaded at collection, so each operation is a test of its own (and xdist spreads them).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=CONFIG)


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    # As Django's own test client does: the WSGI handler would otherwise close the
    # connection that holds the test's transaction at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def pytest_generate_tests(metafunc):
    # Under pytest 9, schemathesis gives each operation's test an id of its own
    # ("...[POST /api/v1/zones/][admin]") only when the test is also parametrized;
    # without one, every operation shares one id and xdist cannot tell them apart.
    if "role" in metafunc.fixturenames:
        metafunc.parametrize("role", list(USERS))


@pytest.fixture
def token(db, role):
    user = USERS[role](username=f"fuzz-{role}")
    return Token.objects.create(user=user).key


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_a_server_error(case, token):
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=[not_a_server_error])
