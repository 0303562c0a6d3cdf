"""Acceptance 6, in Chromium: an officer filters the queue, starts a review, views a document,
asks for clarification; the exporter resubmits; the officer approves."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django_otp import DEVICE_ID_SESSION_KEY
from playwright.sync_api import expect

from applications import workflow
from applications.models import Status
from tests.clients import otp_device

from .factories import document_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_media_handler(monkeypatch) -> None:
    """Stored files are private (MEDIA_URL = None), but the live server's media handler
    assumes a media URL and fails on every request. Nothing is served from media here."""
    from django.test import testcases

    monkeypatch.setattr(testcases._MediaFilesHandler, "_should_handle", lambda self, path: False)


def sign_in_verified(page, live_server, user) -> None:
    """The officer sign-in pages (password, then TOTP) belong to accounts and are not built
    yet: give the browser the session django_otp.login() would leave behind."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
    session.create()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


def test_officer_reviews_asks_for_clarification_and_approves(
    django_db_setup, page, live_server, screenshot, make_application, olivia, alice
):
    other = make_application()
    application = make_application()
    document_for(application, "bill_of_lading", png=True)
    sign_in_verified(page, live_server, olivia)

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

    # The exporter answers (through the workflow service, as the exporter's resubmit page does).
    workflow.application_resubmit(
        application_id=application.pk, exporter=alice, reply="Lot 2 sails on MSC ANNA too."
    )

    page.reload()
    expect(page.get_by_text("Lot 2 sails on MSC ANNA too.")).to_be_visible()
    page.get_by_role("button", name="Start review").click()
    page.get_by_label("Remark (optional)").fill("All in order.")
    page.get_by_role("button", name="Approve and issue certificate").click()
    expect(page.get_by_text(re.compile(rf"{application.reference} is approved"))).to_be_visible()
    screenshot(page, "4-approved")

    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert page.failed_requests == []
