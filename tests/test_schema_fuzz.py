"""Schemathesis over /api/schema/, authenticated as a PT, every operation, with valid and invalid
data: no 5xx, every status code and content type is documented, and every response matches the
schema. New endpoints are fuzzed automatically."""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import token_create
from tests.world import build_world


@pytest.fixture
def api_schema(db):
    # The real WSGI app closes "old" connections around each request; inside the test's
    # transaction that would drop it. Django's own test client disconnects these the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def pt(db):
    return build_world().own.pt  # rows in both clinics, so some generated ids exist


schema = schemathesis.pytest.from_fixture("api_schema")
_tokens: dict[int, str] = {}


def _live_token(user) -> str:
    """The user's token, or a new one when a generated `auth/logout/` revoked it."""
    if user.pk not in _tokens or not AuthToken.objects.filter(user=user).exists():
        _tokens[user.pk] = token_create(user=user)
    return _tokens[user.pk]


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_operation(case, pt):
    token = _live_token(pt)
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                response_schema_conformance],
    )


def test_schema_is_valid_and_warning_free():
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
