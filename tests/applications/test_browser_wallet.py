"""Chromium: Alice tops up her fee wallet in the sandbox, pays an application's fee from it,
submits, and opens the acknowledgement and the tax invoice (screenshots at 1280 and 360 px)."""

from __future__ import annotations

import pytest

from applications.models import TaxInvoice
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def both_widths(page, screenshot, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, f"{name}-360")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_alice_tops_up_pays_from_the_wallet_and_prints_the_acknowledgement(
    page, screenshot, alice, ready
):
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
    page.get_by_role("link", name="Fee wallet").first.click()
    page.get_by_label("Amount to add, in rupees").fill("1000")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Succeed").click()
    page.get_by_text("INR 1000.00 added to your wallet.").wait_for()
    assert "Balance: INR 1000.00" in page.locator(".lead").inner_text()

    page.goto(f"/applications/{ready.reference}/check/")
    page.get_by_role("button", name="Use the fee wallet").click()
    page.get_by_text("The fee was paid from your wallet.").wait_for()
    page.goto(f"/applications/{ready.reference}/check/")
    page.get_by_role("button", name="Submit application").click()
    page.get_by_role("link", name="View and print the acknowledgement").click()
    page.get_by_role("heading", name="Acknowledgement of application").wait_for()
    invoice = TaxInvoice.objects.get(payment__application=ready)
    assert invoice.number in page.content()
    both_widths(page, screenshot, "acknowledgement")

    page.get_by_role("link", name="Fee wallet").first.click()
    statement = page.locator("table").inner_text()
    assert "-500.00" in statement
    assert "+1000.00" in statement
    both_widths(page, screenshot, "wallet")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the statement (CSV)").click()
    assert download.value.suggested_filename.startswith("wallet-0123456789-")
    assert page.failed_requests == []
