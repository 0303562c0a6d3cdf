"""Acceptance 6, in Chromium: an officer signs in with TOTP, filters the queue, starts a review,
views a document, asks for clarification; the exporter resubmits; the officer approves."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import expect

from applications.models import Status
from tests import factories
from tests.browser import sign_in_exporter
from tests.clients import otp_device
from tests.factories import DEFAULT_PASSWORD

from .factories import document_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_officer(page, user) -> None:
    """Username, password and CAPTCHA (test mode accepts PASSED), then the TOTP code."""
    device = otp_device(user)
    page.goto("/accounts/officer/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_label("Type the characters in the image").fill("PASSED")
    page.get_by_role("button", name="Continue").click()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    page.get_by_label("Code from your authenticator app").fill(str(code).zfill(device.digits))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(
        lambda url: "/accounts/officer/login" not in url and "/accounts/officer/" not in url
    )


def test_officer_reviews_asks_for_clarification_and_approves(
    django_db_setup, page, live_server, screenshot, make_application, olivia, alice
):
    other = make_application()
    application = make_application()
    document_for(application, "bill_of_lading", png=True)
    factories.declaration_sign(application)  # the document was added before it was declared
    sign_in_officer(page, olivia)

    page.goto("/officer/")
    expect(page.get_by_role("heading", name="Applications queue")).to_be_visible()
    expect(page.get_by_text(other.reference)).to_be_visible()
    page.get_by_label("Search").fill(application.reference)
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text(other.reference)).to_have_count(0)
    screenshot(page, "1-queue-filtered")

    page.get_by_role("link", name=application.reference).click()
    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text(f"You are reviewing {application.reference}.")).to_be_visible()
    expect(page.get_by_text("T-shirts, singlets and other vests, of cotton")).to_be_visible()

    page.get_by_text("View bill_of_lading.png").click()
    image = page.locator("img.doc-image")
    expect(image).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", image.element_handle()) == 1
    screenshot(page, "2-review-document")

    page.get_by_text("Ask the exporter for clarification").click()
    page.get_by_label("What the exporter needs to clarify").fill("Which vessel carries lot 2?")
    page.get_by_role("button", name="Send back for clarification").click()
    expect(page.get_by_text("sent back to the exporter for clarification")).to_be_visible()
    screenshot(page, "3-clarification-sent")

    # The exporter, in a browser of their own, reads the question, replies and resubmits.
    exporter = page.context.browser.new_context(base_url=live_server.url)
    exporter_page = exporter.new_page()
    sign_in_exporter(exporter_page, alice.username, DEFAULT_PASSWORD)
    exporter_page.goto(reverse("applications:detail", args=[application.reference]))
    banner = exporter_page.get_by_role("region", name="Clarification requested")
    expect(banner.get_by_text("Which vessel carries lot 2?")).to_be_visible()
    exporter_page.goto(reverse("applications:check", args=[application.reference]))
    exporter_page.get_by_label("Your reply to the officer").fill("Lot 2 sails on MSC ANNA too.")
    exporter_page.get_by_role("button", name="Reply and resubmit").click()
    expect(exporter_page.get_by_text(application.reference).first).to_be_visible()
    screenshot(exporter_page, "4-exporter-resubmitted")
    exporter.close()
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED

    page.reload()
    reply = page.get_by_role("region", name="The exporter's reply")
    expect(reply.get_by_text("Lot 2 sails on MSC ANNA too.")).to_be_visible()
    page.get_by_role("button", name="Start review").click()
    page.get_by_label("Remark (optional)").fill("All in order.")
    page.get_by_role("button", name="Approve and issue certificate").click()
    expect(page.get_by_text(re.compile(rf"{application.reference} is approved"))).to_be_visible()
    screenshot(page, "5-approved")

    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert page.failed_requests == []
