"""The verification log's admin list at any size (issue 34): counted up to a bound, never the
whole table, and searched by exact certificate number through indexes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.clients import verified_client
from tests.verification.factories import CertificateFactory
from verification import admin as log_admin
from verification.models import VerificationLog

pytestmark = pytest.mark.django_db

LIST = "admin:verification_verificationlog_changelist"


@pytest.fixture
def root(db):
    user = factories.UserFactory(username="root", role="operator", is_staff=True, is_superuser=True)
    return verified_client(user)


def _log(certificate, n: int) -> None:
    VerificationLog.objects.bulk_create(
        VerificationLog(certificate=certificate, channel="qr", outcome="found", client_hash="h")
        for _ in range(n)
    )


def test_the_list_counts_no_further_than_its_bound(root, eic_mumbai, monkeypatch):
    monkeypatch.setattr(log_admin, "LOG_LIST_LIMIT", 30)
    _log(CertificateFactory(application__office=eic_mumbai), 45)

    with CaptureQueriesContext(connection) as queries:
        response = root.get(reverse(LIST))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 30  # 45 rows, counted up to 30
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts
    assert all("LIMIT" in sql.upper() for sql in counts), counts


def test_a_search_finds_one_certificates_lookups_by_its_full_number(root, eic_mumbai):
    wanted = CertificateFactory(application__office=eic_mumbai)
    other = CertificateFactory(application__office=eic_mumbai)
    _log(wanted, 3)
    _log(other, 2)

    response = root.get(reverse(LIST), {"q": wanted.number.lower()})

    assert {row.certificate_id for row in response.context["cl"].result_list} == {wanted.pk}
    assert response.context["cl"].result_count == 3
    partial = root.get(reverse(LIST), {"q": wanted.number[:6]})
    assert partial.context["cl"].result_count == 0  # no substring search: no index serves it
