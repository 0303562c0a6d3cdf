"""Issue 13, acceptance 5 (and the series on SQLite): a GST tax invoice for every fee and
every top-up, numbered per supplier and financial year, whose PDF prints the right figures."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from applications import tax, wallet
from applications.models import TaxInvoice
from tests import factories

from .wallet_helpers import fund

pytestmark = pytest.mark.django_db

EIC_GSTIN = "27AAAGE1234C1Z1"  # Maharashtra (27)


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


@pytest.fixture
def eic_registered(eic):
    eic.gstin = EIC_GSTIN
    eic.save()
    return eic


def test_financial_years_run_from_april_to_march():
    assert tax.financial_year(date(2026, 3, 31)) == 2025
    assert tax.financial_year(date(2026, 4, 1)) == 2026
    assert tax.financial_year_label(2026) == "2026-27"


def test_the_tax_is_worked_back_from_the_fee_and_adds_up_to_it():
    intra = tax.tax_figures(total_paise=20000, rate_percent=Decimal(18), intra_state=True)
    assert (intra.taxable, intra.cgst, intra.sgst, intra.igst) == (16950, 1525, 1525, 0)
    inter = tax.tax_figures(total_paise=20000, rate_percent=Decimal(18), intra_state=False)
    assert (inter.taxable, inter.igst) == (16949, 3051)
    for total in (1, 99, 20000, 50000, 123457):
        for intra_state in (True, False):
            figures = tax.tax_figures(
                total_paise=total, rate_percent=Decimal(18), intra_state=intra_state
            )
            assert figures.total == total


def test_a_fee_paid_from_the_wallet_gets_the_agencys_invoice_with_cgst_and_sgst(
    alice, ready, eic_registered
):
    fund(alice, 1000)
    wallet.wallet_gstin_set(user=alice, gstin="27ABCDE1234F1Z5")  # same state: CGST + SGST
    payment = wallet.wallet_pay_fee(application_id=ready.pk, user=alice)

    invoice = TaxInvoice.objects.get(payment=payment)
    fy = tax.financial_year(timezone.localdate())
    assert invoice.number == f"EIC/{fy % 100:02d}{(fy + 1) % 100:02d}/000001"
    assert (invoice.supplier_gstin, invoice.recipient_gstin) == (EIC_GSTIN, "27ABCDE1234F1Z5")
    assert (invoice.taxable_paise, invoice.cgst_paise, invoice.sgst_paise) == (42372, 3814, 3814)
    assert invoice.igst_paise == 0
    assert invoice.sac == "999113"

    text = pdf_text(tax.tax_invoice_pdf(invoice))
    assert f"Invoice number: {invoice.number}" in text
    assert f"GSTIN: {EIC_GSTIN}" in text
    assert "GSTIN: 27ABCDE1234F1Z5" in text
    assert "999113" in text
    assert "Taxable value 423.72" in text
    assert "CGST @ 9% 38.14" in text
    assert "SGST @ 9% 38.14" in text
    assert "Total (tax included) 500.00" in text
    assert "IGST" not in text


def test_a_firm_in_another_state_is_charged_igst(alice, ready, eic_registered):
    fund(alice, 1000)
    wallet.wallet_gstin_set(user=alice, gstin="29ABCDE1234F1Z5")  # Karnataka
    payment = wallet.wallet_pay_fee(application_id=ready.pk, user=alice)

    invoice = TaxInvoice.objects.get(payment=payment)
    assert (invoice.place_of_supply, invoice.taxable_paise, invoice.igst_paise) == (
        "29",
        42373,
        7627,
    )
    text = pdf_text(tax.tax_invoice_pdf(invoice))
    assert "IGST @ 18% 76.27" in text
    assert "Taxable value 423.73" in text
    assert "CGST" not in text


def test_a_card_payment_gets_its_invoice_when_it_is_captured(alice, alice_client, ready):
    alice_client.post(reverse("applications:pay", args=[ready.reference]))
    payment = ready.payments.get()
    alice_client.post(
        reverse("applications:payment-sandbox", args=[payment.order_id]), {"outcome": "captured"}
    )
    assert TaxInvoice.objects.filter(payment=payment, supplier="agency:EIC").count() == 1


def test_every_top_up_gets_the_platform_operators_invoice(alice, settings):
    settings.PLATFORM_GSTIN = "07AAACP0000A1Z9"  # Delhi; Alice is unregistered: intra-state
    settings.PLATFORM_OPERATOR_NAME = "Portal Operator Ltd"
    fund(alice, 1180)
    fund(alice, 118)

    invoices = list(TaxInvoice.objects.filter(supplier="platform").order_by("sequence"))
    assert [i.sequence for i in invoices] == [1, 2]
    first = invoices[0]
    assert (first.taxable_paise, first.cgst_paise, first.sgst_paise) == (100000, 9000, 9000)
    text = pdf_text(tax.tax_invoice_pdf(first))
    assert "Portal Operator Ltd" in text
    assert "GSTIN: 07AAACP0000A1Z9" in text
    assert "GSTIN: unregistered" in text
    assert "998599" in text
    assert "Total (tax included) 1180.00" in text


def test_each_agency_and_financial_year_has_its_own_series(alice, eic_mumbai, fieo_delhi):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 2000)
    for office in (eic_mumbai, fieo_delhi, eic_mumbai):
        application = factories.ApplicationFactory(exporter=alice, office=office)
        wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    numbers = dict(
        TaxInvoice.objects.exclude(supplier="platform").values_list("supplier", "sequence")
    )
    assert TaxInvoice.objects.filter(supplier="agency:EIC").count() == 2
    assert numbers["agency:FIEO"] == 1

    next_april = timezone.make_aware(
        datetime(tax.financial_year(timezone.localdate()) + 1, 4, 2)  # noqa: DTZ001 - made aware
    )
    with mock.patch("applications.tax.timezone.now", return_value=next_april):
        application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
        wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    latest = TaxInvoice.objects.filter(supplier="agency:EIC").order_by("-issued_at").first()
    assert latest.sequence == 1
    assert latest.financial_year == tax.financial_year(next_april.date())


def test_a_rolled_back_payment_gives_its_invoice_number_back(alice, eic_mumbai):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 1000)
    application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)

    def pay_then_fail() -> None:
        with transaction.atomic():
            wallet.wallet_pay_fee(application_id=application.pk, user=alice)
            raise RuntimeError("the request failed after paying")

    with pytest.raises(RuntimeError):
        pay_then_fail()
    wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    assert TaxInvoice.objects.get(supplier="agency:EIC").sequence == 1


def test_only_the_firm_downloads_its_tax_invoice(alice, alice_client, bob_client, ready):
    fund(alice, 1000)
    invoice = TaxInvoice.objects.get(supplier="platform")
    url = reverse("applications:tax-invoice", args=[invoice.pk])
    response = alice_client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert "Tax invoice" in pdf_text(response.content)
    assert bob_client.get(url).status_code == 404
