"""Issue 31: every report page (chart and table), the officer administration pages and a
review page with risk flags pass the axe audit at 1280 and 360 px (the harness of
test_axe_audit: serious or critical violations fail)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from applications.models import ApplicationEvent, Invoice, Status
from applications.workflow import application_start_review
from review.reports import REPORTS
from tests.clients import verified_client
from tests.officer.factories import submitted_application

from .test_axe_audit import Audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_report_officer_and_risk_pages_have_no_serious_or_critical_violation(
    browser_instance, live_server, screenshot, alice, olivia, ada, eic_mumbai
):
    start = timezone.localdate() - dt.timedelta(days=6)
    for day in range(5):
        moment = timezone.now() - dt.timedelta(days=day)
        application = submitted_application(exporter=alice, office=eic_mumbai, submitted_at=moment)
        if day % 2:
            type(application).objects.filter(pk=application.pk).update(
                status=Status.REJECTED, decided_at=moment + dt.timedelta(hours=5)
            )
            ApplicationEvent.objects.create(
                application=application,
                from_status=Status.UNDER_REVIEW,
                to_status=Status.REJECTED,
                actor=olivia,
                note="The invoice is not signed.",
            )
    flagged = submitted_application(exporter=alice, office=eic_mumbai)
    Invoice.objects.filter(application=flagged).update(number="INV/REUSED")
    Invoice.objects.filter(application=application).update(number="INV/REUSED")
    application_start_review(application_id=flagged.pk, officer=ada)

    audit = Audit(browser_instance, live_server, screenshot)
    query = f"?start={start.isoformat()}"
    audit.persona(
        "agency-admin-reports",
        [
            "/officer/reports/",
            *(f"/officer/reports/{key}/{query}" for key in REPORTS),
            "/officer/officers/",
            "empty /officer/officers/",
            f"/officer/officers/{olivia.pk}/",
            f"/officer/applications/{flagged.reference}/",
        ],
        verified_client(ada),
    )
    assert audit.pages == 2 * (len(REPORTS) + 5)
    assert not audit.found, "\n".join(audit.found)
