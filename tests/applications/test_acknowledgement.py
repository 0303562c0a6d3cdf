"""Issue 13: after submission, a printable acknowledgement (page and PDF) with the reference,
the date, what was submitted, the fee and what happens next; the owner's alone."""

from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse

from applications import wallet, workflow

from .wallet_helpers import fund

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


@pytest.fixture
def submitted(alice, ready):
    fund(alice, 500)
    wallet.wallet_pay_fee(application_id=ready.pk, user=alice)
    workflow.application_submit(application_id=ready.pk, exporter=alice)
    ready.refresh_from_db()
    return ready


def test_the_confirmation_and_the_application_page_link_to_the_acknowledgement(
    alice_client, submitted
):
    link = reverse("applications:acknowledgement", args=[submitted.reference])
    for page in ("applications:confirmation", "applications:detail"):
        html = alice_client.get(reverse(page, args=[submitted.reference])).content.decode()
        assert f'href="{link}"' in html


def test_the_acknowledgement_page_says_what_was_submitted_the_fee_and_what_next(
    alice_client, submitted, django_assert_max_num_queries
):
    url = reverse("applications:acknowledgement", args=[submitted.reference])
    with django_assert_max_num_queries(16):
        html = alice_client.get(url).content.decode()

    invoice = submitted.payments.get().tax_invoice
    assert submitted.reference in html
    assert "PT Nusantara Garments" in html
    assert "Cotton T-shirts, knitted, HS 61091000" in html
    assert "INR 500.00 paid" in html
    assert invoice.number in html
    assert "What happens next" in html
    assert "An officer of Export Inspection Council, EIA Mumbai, reviews" in html


def test_the_acknowledgement_pdf_carries_the_same_facts(alice_client, submitted):
    response = alice_client.get(
        reverse("applications:acknowledgement-pdf", args=[submitted.reference])
    )
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Acknowledgement of application" in text
    assert f"Reference {submitted.reference}" in text
    assert "Alice Exports (IEC 0123456789)" in text
    assert "Fee paid INR 500.00" in text
    assert submitted.payments.get().tax_invoice.number in text
    assert "Commercial invoice" in text
    assert "What happens next" in text


def test_a_draft_has_no_acknowledgement(alice_client, ready):
    for name in ("applications:acknowledgement", "applications:acknowledgement-pdf"):
        assert alice_client.get(reverse(name, args=[ready.reference])).status_code == 404


def test_another_exporter_gets_404_for_alices_acknowledgement(alice_client, bob_client, submitted):
    for name in ("applications:acknowledgement", "applications:acknowledgement-pdf"):
        url = reverse(name, args=[submitted.reference])
        assert alice_client.get(url).status_code == 200
        assert bob_client.get(url).status_code == 404
