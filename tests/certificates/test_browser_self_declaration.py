"""Chromium (issue 29, acceptance 3): India-EFTA TEPA's self-declaration. The firm's signatory
signs the statement with the code sent by SMS, makes the self-declaration (no fee, no
officer), downloads the PDF the portal signed and its credential; a verifier checks it the
three ways: the verification page, the PDF upload check and the credential check."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.sms import MemorySMSBackend
from applications.models import Status
from certificates import keys
from certificates.models import Certificate
from reference.services import self_declaration_route_ensure
from tests import factories
from tests.accounts.conftest import code_from_sms
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD

from .conftest import pdf_text
from .factories import self_declaration_draft
from .test_browser_copies import download, verify_three_ways

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_self_declaration_is_signed_made_and_verified(
    page, browser_instance, live_server, screenshot, alice, signing_keys, tmp_path
):
    alice.mobile = "+919811112222"
    alice.save(update_fields=["mobile"])
    tepa = factories.TradeAgreementFactory(
        code="IETEPA",
        name="India-EFTA TEPA",
        form_title="India-EFTA TEPA Certificate of Origin",
        partner_countries=["CH", "NO", "IS", "LI"],
        origin_criteria=["WO", "CTSH", "RVC", "PSR"],
    )
    factories.FeeFactory(certificate_type="preferential", amount="500.00")
    office = self_declaration_route_ensure()
    keys.ensure_agency_key("PORTAL", office.agency.name)
    application = self_declaration_draft(alice, office, tepa)
    reference = application.reference

    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
    page.goto(reverse("applications:check", args=[reference]))
    expect(page.get_by_text("No fee is due.")).to_be_visible()
    # The statement is signed with a code sent to the signatory's mobile.
    page.get_by_role("link", name="Sign the declaration").click()
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Code from the SMS")).to_be_visible()
    page.get_by_label("Code from the SMS").fill(code_from_sms(MemorySMSBackend.outbox))
    page.get_by_role("button", name="Sign the declaration").click()
    page.wait_for_url("**/check/")
    expect(page.get_by_role("heading", name="Make the self-declaration")).to_be_visible()
    expect(page.get_by_role("button", name="Submit application")).to_have_count(0)
    screenshot(page, "self-declaration-check")
    # On the embedded default the issuance runs in the request, after commit.
    page.get_by_role("button", name="Make the self-declaration").click()
    expect(page.get_by_text("You made the self-declaration of origin")).to_be_visible()

    certificate = Certificate.objects.get(application__reference=reference)
    assert certificate.application.status == Status.ISSUED
    assert certificate.application.assigned_officer is None
    _, jwt = download(page, reference, tmp_path)
    text = pdf_text(tmp_path / f"{reference}.pdf")
    assert "EXPORTER'S SELF-DECLARATION" in text
    assert "No issuing agency has examined or certified this declaration" in text
    screenshot(page, "self-declaration-issued")

    verifier = verify_three_ways(
        browser_instance,
        live_server.url,
        certificate,
        tmp_path / f"{reference}.pdf",
        jwt,
        screenshot,
    )
    verifier.goto(
        reverse("verification:verify-certificate", kwargs={"number": certificate.number})
        + f"?code={certificate.verification_code}"
    )
    expect(verifier.get_by_text("It is not certified by any agency", exact=False)).to_be_visible()
    assert [r for r in page.failed_requests if "favicon" not in r] == []
