"""Chromium: Alice fills a preferential AIFTA application with three items, uploads the
documents, pays in the sandbox and submits."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from applications.models import Application
from tests.applications.conftest import MODEL_BACKEND, tiny_pdf, tiny_png

# Playwright's sync API runs an event loop in this thread, and the session-wide browser may
# start before the test database is created: allow Django's ORM here from the start.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = [
    ("Cotton T-shirts, knitted", "61091000", "WO", ""),
    ("Men's cotton trousers", "62034200", "RVC+CTSH", "40"),
    ("Frozen shrimps", "03061700", "RVC", "35"),
]


def media_handler_fix(live_server) -> None:
    """The live server's media handler parses MEDIA_URL once, and cannot cope with None
    (documents are never served from a public URL). Point it at a path nothing links to.
    TODO(lead): better set MEDIA_URL for the live server in tests/conftest.py."""
    from urllib.parse import urlparse

    handler = live_server.thread.httpd.get_app()  # static handler around the media handler
    handler.application.base_url = urlparse("/_media-not-served/")


def sign_in(page, live_server, user) -> None:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = MODEL_BACKEND
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


def test_alice_applies_for_an_aifta_certificate_in_the_browser(
    page, live_server, screenshot, alice, reference_data, tmp_path
):
    media_handler_fix(live_server)
    sign_in(page, live_server, alice)
    page.goto("/applications/new/")
    with page.expect_response(lambda r: "/applications/new/?" in r.url):
        page.get_by_label("Preferential", exact=True).check()
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
    page.get_by_label("Trade agreement").select_option(label=str(reference_data["aifta"]))
    # htmx narrows the destinations to the agreement's partners
    expect(page.locator("#id_destination_country option")).to_have_count(11)
    page.get_by_label("Destination (importing) country").select_option("ID")
    page.get_by_label("Issuing agency and office").select_option(
        str(reference_data["eic_mumbai"].pk)
    )
    screenshot(page, "01-apply")
    page.get_by_role("button", name="Start the application").click()
    application = Application.objects.get(exporter=alice)
    page.wait_for_url(f"**/{application.reference}/tasks/")
    screenshot(page, "02-task-list")

    page.get_by_role("link", name="Exporter and consignee").click()
    page.get_by_label("Consignee name").fill("PT Nusantara Garments")
    page.get_by_label("Consignee address").fill("Jl. Sudirman 1\nJakarta 10220")
    page.get_by_label("Consignee country").select_option("ID")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("link", name="Transport and route").click()
    page.get_by_label("Transport mode").select_option("sea")
    page.get_by_label("Vessel, flight or vehicle").fill("MV Kota Ratu V.12")
    page.get_by_label("Port of loading").fill("Nhava Sheva")
    page.get_by_label("Port of discharge").fill("Tanjung Priok")
    page.get_by_label("Departure date").fill("2026-12-05")
    page.get_by_role("button", name="Save and continue").click()

    page.get_by_role("link", name="Invoices").click()
    page.get_by_label("Invoice number").fill("EXP/2026/0042")
    page.get_by_label("Invoice date").fill("2026-11-20")
    page.get_by_label("Currency", exact=True).fill("USD")
    page.get_by_role("button", name="Add invoice").click()
    page.get_by_role("link", name="Done").click()

    page.get_by_role("link", name="Goods").click()
    for description, hs_code, criterion, pct in ITEMS:
        page.get_by_role("link", name="Add an item").click()
        page.get_by_label("Description of goods").fill(description)
        page.get_by_label("HS code (8 digits)").press_sequentially(hs_code, delay=20)
        page.wait_for_selector("#hs-description:has-text('HS 2022')")
        page.get_by_label("Origin criterion").select_option(criterion)
        if pct:
            page.get_by_label("Percentage").fill(pct)
        page.get_by_label("Number of packages").fill("10")
        page.get_by_label("Kind of packages").fill("cartons")
        page.get_by_label("Quantity", exact=True).fill("100")
        page.get_by_label("Unit", exact=True).fill("pcs")
        page.get_by_label("Gross weight (kg)").fill("55.5")
        page.get_by_label("FOB value").fill("1200")
        page.get_by_role("button", name="Save item").click()
        page.wait_for_url("**/goods/")
    screenshot(page, "04-goods")
    page.get_by_role("link", name="Done").click()

    invoice, packing = tmp_path / "invoice.pdf", tmp_path / "packing.png"
    invoice.write_bytes(tiny_pdf())
    packing.write_bytes(tiny_png())
    page.get_by_role("link", name="Supporting documents").click()
    for kind, path in (("commercial_invoice", invoice), ("packing_list", packing)):
        page.get_by_label("Type of document").select_option(kind)
        page.get_by_label("File", exact=True).set_input_files(str(path))
        page.get_by_role("button", name="Upload").click()
    screenshot(page, "05-documents")
    page.get_by_role("link", name="Done").click()

    page.get_by_role("link", name="Exporter's declaration").click()
    page.get_by_label("Name of the signatory").fill("Alice Shah")
    page.get_by_label("Designation").fill("Director")
    page.get_by_label("Place").fill("Mumbai")
    page.get_by_label("Date", exact=True).fill("2026-11-25")
    page.get_by_label("I declare").check()
    page.get_by_role("button", name="Save and continue").click()
    screenshot(page, "06-tasks-complete")

    page.get_by_role("link", name="Check your answers").click()
    screenshot(page, "07-check")
    page.get_by_role("button", name="Pay INR 500.00").click()
    screenshot(page, "08-sandbox")
    page.get_by_role("button", name="Succeed").click()
    page.wait_for_url("**/receipt/")
    screenshot(page, "09-receipt")
    page.get_by_role("link", name="Continue to submit").click()
    page.get_by_role("button", name="Submit application").click()
    page.wait_for_url("**/confirmation/")
    screenshot(page, "10-confirmation")
    assert application.reference in page.locator(".panel").inner_text()

    application.refresh_from_db()
    assert application.status == "submitted"
    assert application.items.count() == 3
    assert [i.criterion_display for i in application.items.all()] == [
        "WO",
        "RVC+CTSH 40%",
        "RVC 35%",
    ]
    assert application.documents.count() == 2
    assert application.payments.get().state == "captured"
    assert page.failed_requests == []
