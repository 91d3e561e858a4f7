"""Every operation in our own OpenAPI schema, fuzzed in-process: never a 500, always as documented.

Schemathesis reads /api/v1/schema/ from the WSGI app, so each endpoint another
part of the app adds is covered as soon as it is in the schema. Its coverage
phase sends, per operation, a fixed set of requests built from the schema: valid
values, each boundary, each field missing or of the wrong type, unexpected
methods. That set is deterministic and bounded (a few dozen requests for most
operations, a few hundred for the largest bodies), so a failure here reproduces.
Its random fuzzing phase is off: on these request bodies it spends far more time
generating data than the coverage phase spends testing.

Each answer must be no server error, and must match the schema's response for
its status (types, formats, nullable fields, enums) and its content type. The database holds a small
market with something in every state (tests/core/fuzz_market.py), seeded once
per worker and rolled back after, so that lists and objects have items to check;
each operation's own writes roll back after it. It runs as an administrator
(every object) and as a provider user (its own, identity only once placed).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from accounts import tokens
from brokerage.wsgi import application
from tests.core import fuzz_market

pytestmark = [pytest.mark.api_fuzz, pytest.mark.django_db]

ROLES = ["admin", "provider"]
# Not negative_data_rejection: an empty query parameter (`?until=`) means "not given", as
# an HTML form sends it, where the schema's `format: date` would call it invalid.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
CONFIG = SchemathesisConfig.from_dict({"phases": {"fuzzing": {"enabled": False}}})
# Loaded at collection, so each operation is a test of its own (and xdist spreads them).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=CONFIG)


@pytest.fixture(scope="module")
def market(django_db_setup, django_db_blocker):
    """The market, in a transaction that each test's own nests inside and that rolls back."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield fuzz_market.seed()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


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
        metafunc.parametrize("role", ROLES)


@pytest.fixture
def token(market, role):
    return tokens.issue(market[role])[1]


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_no_server_error_and_matches_the_schema(case, token, record_property):
    # What tests/conftest.py counts for the run's summary line (CI reports it).
    record_property("api_fuzz_operation", f"{case.operation.method.upper()} {case.operation.path}")
    response = case.call(headers={"Authorization": f"Token {token}"})
    try:
        case.validate_response(response, checks=CHECKS)
    except (FailureGroup, Failure) as found:
        failures = found.exceptions if isinstance(found, FailureGroup) else [found]
        for failure in failures:
            record_property("api_fuzz_failure", type(failure).__name__)
        raise
