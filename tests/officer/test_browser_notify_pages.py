"""In Chromium at 1280 and 360 px: the exporter's resubmission page says what was sent, the
officer's review page shows the reply and the changes at the top, the rejection banner, and
My applications with each certificate's own status."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from applications import workflow
from certificates.models import Certificate
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD

from .test_browser_review import sign_in_officer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def both_widths(page, screenshot, name):
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"{name}-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def test_pages_that_tell_people_what_happened(
    page, live_server, screenshot, make_application, olivia, alice, eic_mumbai
):
    asked = make_application()
    workflow.application_start_review(application_id=asked.pk, officer=olivia)
    workflow.application_request_clarification(
        application_id=asked.pk, officer=olivia, message="Which vessel carries lot 2?"
    )
    rejected = make_application()
    workflow.application_start_review(application_id=rejected.pk, officer=olivia)
    workflow.application_reject(
        application_id=rejected.pk, officer=olivia, reason="The goods are not of Indian origin."
    )
    issued = make_application(status="issued")
    Certificate.objects.create(
        application=issued,
        number="EIC/2026/MUM/0000001",
        verification_code="ABCDEFGH12345678",
        office=eic_mumbai,
        year=2026,
        sequence=1,
        pdf="certificates/1.pdf",
        sha256="1" * 64,
        issued_at=timezone.now(),
        signing_officer=olivia,
        status="revoked",
        revocation_reason="Not of Indian origin.",
    )

    exporter = page.context.browser.new_context(base_url=live_server.url)
    ex = exporter.new_page()
    sign_in_exporter(ex, alice.username, DEFAULT_PASSWORD)
    ex.goto(reverse("applications:check", args=[asked.reference]))
    ex.get_by_label("Your reply to the officer").fill("Lot 2 sails on MSC ANNA too.")
    ex.get_by_role("button", name="Reply and resubmit").click()
    expect(ex.get_by_text("We have sent you an email to")).to_be_visible()
    expect(ex.get_by_text("the officer reviewing it, has been told by email.")).to_be_visible()
    both_widths(ex, screenshot, "1-resubmitted")

    ex.goto(reverse("applications:detail", args=[rejected.reference]))
    expect(ex.get_by_role("region", name="Application rejected")).to_be_visible()
    both_widths(ex, screenshot, "2-rejected")

    ex.goto(reverse("applications:list"))
    expect(ex.locator(".tag--revoked").first).to_be_visible()
    both_widths(ex, screenshot, "3-my-applications")
    exporter.close()

    sign_in_officer(page, olivia)
    page.goto(reverse("officer:review", args=[asked.reference]))
    expect(page.get_by_role("region", name="The exporter's reply")).to_be_visible()
    both_widths(page, screenshot, "4-officer-reply")
