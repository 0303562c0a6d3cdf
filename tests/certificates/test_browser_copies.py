"""Chromium (issue 29, acceptance 3): a certified true copy, asked for by the exporter on the
original's page, and a back-to-back certificate for a re-export, each issued, signed, and
verified the three ways a verifier checks: the verification page, the PDF upload check and
the credential check."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from applications.models import Application
from certificates.models import Certificate
from certificates.validation import check_signed_pdf
from review.services import application_approve
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD

from .conftest import pdf_text
from .factories import application_under_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def issue(application: Application) -> Certificate:
    """Approve as the assigned officer; on autocommit, approval's issuance runs at once. In a
    thread of its own: pyHanko signs in an event loop, and Playwright keeps one in this one."""

    def approve() -> Certificate:
        try:
            application_approve(application_id=application.pk, officer=application.assigned_officer)
            return Certificate.objects.get(application=application)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(approve).result()


def download(page: Page, reference: str, folder: Path) -> tuple[bytes, str]:
    """The signed PDF and the credential, as the exporter downloads them from the page."""
    page.goto(reverse("applications:detail", args=[reference]))
    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download the signed PDF").click()
    pdf_path = folder / f"{reference}.pdf"
    pdf_download.value.save_as(pdf_path)
    with page.expect_download() as vc_download:
        page.get_by_role("link", name="Download the Verifiable Credential").click()
    vc_path = folder / f"{reference}.jwt"
    vc_download.value.save_as(vc_path)
    data = pdf_path.read_bytes()
    # pyHanko's validation runs its own event loop: not in Playwright's thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(check_signed_pdf, data).result()
    assert check.ok, check
    return data, vc_path.read_text()


def verify_three_ways(
    browser: Browser, base_url: str, certificate: Certificate, pdf: Path, jwt: str, screenshot
) -> Page:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    verifier = context.new_page()
    number = certificate.number
    # 1. The page the QR code opens.
    verifier.goto(
        reverse("verification:verify-certificate", kwargs={"number": number})
        + f"?code={certificate.verification_code}"
    )
    expect(verifier.get_by_role("heading", name="VALID", exact=True)).to_be_visible()
    expect(verifier.get_by_text(number).first).to_be_visible()
    screenshot(verifier, f"verify-page-{certificate.sequence}")
    # 2. The PDF uploaded.
    verifier.goto(reverse("verification:document"))
    verifier.get_by_label("Certificate PDF").set_input_files(str(pdf))
    verifier.get_by_role("button", name="Check the PDF").click()
    expect(verifier.get_by_role("heading", name="Authentic and unaltered")).to_be_visible()
    expect(verifier.locator(".verdict .cert-number")).to_have_text(number)
    screenshot(verifier, f"verify-upload-{certificate.sequence}")
    # 3. The credential pasted.
    verifier.goto(reverse("verification:credential"))
    verifier.get_by_label("Credential", exact=True).fill(jwt)
    verifier.get_by_role("button", name="Check the credential").click()
    expect(verifier.get_by_role("heading", name="Valid credential")).to_be_visible()
    screenshot(verifier, f"verify-credential-{certificate.sequence}")
    return verifier


def test_a_certified_true_copy_is_asked_for_issued_and_verified(
    page, browser_instance, live_server, screenshot, alice, olivia, eic_mumbai, eic_key, tmp_path
):
    original = issue(
        application_under_review(exporter=alice, officer=olivia, office=eic_mumbai, items=2)
    )
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
    page.goto(reverse("applications:detail", args=[original.application.reference]))
    page.get_by_text("Original lost, stolen or destroyed?").click()
    page.get_by_label("The original was lost").check()
    screenshot(page, "copy-request-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "copy-request-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Request a certified true copy").click()
    expect(page.get_by_text("asks for a certified true copy of certificate").first).to_be_visible()

    request = Application.objects.get(certified_copy_of=original)
    assert request.copy_reason == "lost"
    # Submitting, paying and the officer's review are the applications' own journey.
    Application.objects.filter(pk=request.pk).update(status="under_review", assigned_officer=olivia)
    request.refresh_from_db()
    copy = issue(request)

    pdf, jwt = download(page, request.reference, tmp_path)
    text = pdf_text(tmp_path / f"{request.reference}.pdf")
    assert "CERTIFIED TRUE COPY" in text
    assert f"Certified true copy of certificate No. {original.number}" in text
    expect(
        page.locator(".certificate-facts").get_by_text(f"{original.number}, issued")
    ).to_be_visible()
    screenshot(page, "copy-issued")

    verifier = verify_three_ways(
        browser_instance,
        live_server.url,
        copy,
        tmp_path / f"{request.reference}.pdf",
        jwt,
        screenshot,
    )
    verifier.goto(
        reverse("verification:verify-certificate", kwargs={"number": copy.number})
        + f"?code={copy.verification_code}"
    )
    expect(verifier.get_by_text("Certified true copy of", exact=True)).to_be_visible()
    original.refresh_from_db()
    assert original.status == "valid"
    assert pdf.startswith(b"%PDF")
    assert [r for r in page.failed_requests if "favicon" not in r] == []


def test_a_back_to_back_certificate_is_issued_and_verified(
    page, browser_instance, live_server, screenshot, alice, olivia, eic_mumbai, eic_key, tmp_path
):
    certificate = issue(
        application_under_review(
            exporter=alice,
            officer=olivia,
            office=eic_mumbai,
            back_to_back=True,
            foreign_certificate_number="VN-2026-0007781",
            foreign_certificate_issuer="VCCI Ho Chi Minh City",
            foreign_certificate_country="VN",
            foreign_certificate_date=date(2026, 2, 10),
        )
    )
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
    _, jwt = download(page, certificate.application.reference, tmp_path)
    path = tmp_path / f"{certificate.application.reference}.pdf"
    text = pdf_text(path)
    assert "BACK-TO-BACK (RE-EXPORT)" in text
    assert "VN-2026-0007781" in text

    verify_three_ways(browser_instance, live_server.url, certificate, path, jwt, screenshot)
    assert [r for r in page.failed_requests if "favicon" not in r] == []
