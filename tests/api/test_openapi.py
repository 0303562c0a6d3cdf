"""The OpenAPI document in the repository is the code's, and the API keeps to it
(schemathesis, a bounded and seeded run, with a seeded firm and agent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from accounts.models import FirmMember
from api.endpoints import api
from api.management.commands.api_openapi import openapi_text
from tests.accounts.agent_factories import kiran_logistics

from .conftest import ApiClient, new_application, token_for

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_the_codes():
    assert DOCUMENT.read_text() == openapi_text(), (
        "docs/openapi.json differs from the API: run `DEBUG=1 python manage.py api_openapi`"
    )


def test_the_document_is_served_and_public(client):
    answer = client.get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.json()["openapi"].startswith("3.1")


def test_the_document_is_built_once_not_on_every_request(client):
    """Building it costs about 270 ms of CPU (bench/pages.py); it is the code's alone."""
    first = api.get_openapi_schema(path_prefix="/api/v1/")
    assert api.get_openapi_schema(path_prefix="/api/v1/") is first
    assert client.get("/api/v1/openapi.json").json() == json.loads(json.dumps(first))


schema = schemathesis.openapi.from_dict(json.loads(DOCUMENT.read_text()))
WSGI = get_wsgi_application()


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """As Django's test client does: a request through the WSGI handler must not close the
    test's database connection (its transaction holds the seeded rows). Asked for after
    `seeded`, whose test client connects the signals again when it is done."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(db, alice, reference_data):
    """Alice's firm with one draft filed by its agent Kiran; Kiran's token for the calls."""
    firm = FirmMember.objects.get(user=alice).firm
    kiran = kiran_logistics(firm, alice).user
    raw = token_for(kiran)
    ApiClient(raw).post("/applications", new_application(firm.iec))
    return raw


@schema.parametrize()
@hypothesis_settings(
    max_examples=4,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_document(case, seeded, wsgi_keeps_the_test_connection):
    """No 5xx, and every answer fits the document (status and body)."""
    response = case.call(app=WSGI, headers={"Authorization": f"Bearer {seeded}"})
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
