"""Retries at the same moment (PostgreSQL): one key, one draft; one submission."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import FirmMember
from applications.models import Application
from tests.concurrency import run_together

from .conftest import ApiClient, new_application, token_for


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_retries_at_once_with_one_key_make_one_draft(alice, reference_data):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    raw = token_for(alice)
    body = new_application(FirmMember.objects.get(user=alice).firm.iec)

    def create():
        return ApiClient(raw).post("/applications", body, key="race-1")

    answers = run_together(4, create)
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["reference"] for a in answers}) == 1
    assert Application.objects.count() == 1
