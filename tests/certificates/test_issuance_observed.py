"""Issue 27: an issuance refused for good is logged at ERROR with its reason, shown on the
admin's issuance attempts page, and counted by agency in /metrics."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from certificates.models import IssuanceAttempt
from certificates.tasks import issue_certificate_task
from coo_portal import metrics
from tests.clients import verified_client
from tests.officer.factories import submitted_application


def failures(agency: str, final: str) -> float:
    assert metrics.ISSUANCE_FAILURES  # measured by coo_portal.metrics's signal handlers
    labels = {"agency": agency, "final": final}
    return REGISTRY.get_sample_value("coo_issuance_failures_total", labels) or 0.0


@pytest.mark.django_db
def test_a_final_refusal_is_logged_at_error_with_its_reason_and_counted(alice, eic_mumbai, caplog):
    application = submitted_application(exporter=alice, office=eic_mumbai)
    before = failures("EIC", "yes")
    with caplog.at_level(logging.INFO, logger="certificates.tasks"):
        issue_certificate_task.apply(args=[application.pk])
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "refused for good" in errors[0].getMessage()
    assert f"{application.reference} is submitted, not approved." in errors[0].getMessage()
    assert errors[0].reason == f"{application.reference} is submitted, not approved."
    assert failures("EIC", "yes") == before + 1
    attempt = IssuanceAttempt.objects.get(application=application)
    assert attempt.final
    assert not attempt.succeeded


@pytest.mark.django_db
def test_the_admin_issuance_page_shows_the_refusal_reason(alice, eic_mumbai, admin_user):
    application = submitted_application(exporter=alice, office=eic_mumbai)
    issue_certificate_task.apply(args=[application.pk])
    page = verified_client(admin_user).get(reverse("admin:certificates_issuanceattempt_changelist"))
    assert page.status_code == 200
    assert f"{application.reference} is submitted, not approved." in page.content.decode()
