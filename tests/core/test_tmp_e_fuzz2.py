import json, os
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
pytestmark = [pytest.mark.django_db]

@pytest.fixture(autouse=True)
def _keep():
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

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=SchemathesisConfig.from_dict(json.loads(os.environ["E_CFG"])))

@schema.parametrize()
@settings(max_examples=int(os.environ["E_MAX"]), deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_x(case, admin_token):
    response = case.call(headers={"Authorization": f"Token {admin_token}"})
    print("CALL", case.method, case.path, response.status_code, flush=True)
    case.validate_response(response, checks=[not_a_server_error])
