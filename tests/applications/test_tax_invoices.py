"""Issue 13, acceptance 5 (and the series on SQLite): a GST tax invoice for every fee, numbered
per agency and financial year, whose PDF prints the right figures; a top-up is a deposit, so it
gets a numbered receipt with no tax on it (the same money is not taxed twice)."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
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


@pytest.fixture
def fieo_registered(fieo):
    fieo.gstin = "07AAAAF1234C1Z1"  # Delhi
    fieo.save()
    return fieo


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
    assert "Total (INR) 500.00" in text
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


def test_a_card_payment_gets_its_invoice_when_it_is_captured(
    alice, alice_client, ready, eic_registered
):
    alice_client.post(reverse("applications:pay", args=[ready.reference]))
    payment = ready.payments.get()
    alice_client.post(
        reverse("applications:payment-sandbox", args=[payment.order_id]), {"outcome": "captured"}
    )
    assert TaxInvoice.objects.filter(payment=payment, supplier="agency:EIC").count() == 1


def test_a_top_up_gets_a_receipt_with_no_tax_figures_that_says_it_is_not_a_tax_invoice(
    alice, settings
):
    settings.PLATFORM_OPERATOR_NAME = "Portal Operator Ltd"
    settings.PLATFORM_INVOICE_PREFIX = "COOW"
    fund(alice, 1180)
    fund(alice, 118)

    receipts = list(TaxInvoice.objects.filter(top_up__isnull=False).order_by("sequence"))
    assert [(r.kind, r.sequence) for r in receipts] == [("receipt", 1), ("receipt", 2)]
    first = receipts[0]
    fy = tax.financial_year(timezone.localdate())
    # At most 16 characters, as CGST Rule 50(b) asks of a receipt voucher's serial.
    assert first.number == f"COOWR/{fy % 100:02d}{(fy + 1) % 100:02d}/00001"
    assert (first.cgst_paise, first.sgst_paise, first.igst_paise, first.sac) == (0, 0, 0, "")
    assert first.total_paise == 118000
    text = pdf_text(tax.document_pdf(first))
    assert text.startswith("Receipt for a fee wallet top-up")
    assert (
        "This is not a tax invoice. Tax is charged on the tax invoice issued for each fee paid "
        "from the wallet." in text
    )
    assert f"Receipt number: {first.number}" in text
    assert "Portal Operator Ltd" in text
    assert alice.exporter_profile.iec_record.firm_name in text
    assert f"Top-up order: {first.top_up.order_id}" in text
    assert "Payment reference: SBXTEST" in text
    assert "Amount received (INR) 1180.00" in text
    for tax_word in ("GST", "SAC", "Taxable", "%", "Place of supply", "tax included"):
        assert tax_word not in text


def test_a_fee_paid_from_the_wallet_has_exactly_one_tax_invoice(alice, eic_mumbai, eic_registered):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 1000)
    application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
    payment = wallet.wallet_pay_fee(application_id=application.pk, user=alice)

    invoices = TaxInvoice.objects.filter(kind=TaxInvoice.Kind.TAX_INVOICE)
    assert [(i.payment_id, i.supplier, i.total_paise) for i in invoices] == [
        (payment.pk, "agency:EIC", 20000)
    ]
    receipt = TaxInvoice.objects.get(kind=TaxInvoice.Kind.RECEIPT)
    assert receipt.total_paise == 100000
    assert receipt.cgst_paise + receipt.sgst_paise + receipt.igst_paise == 0


def test_the_database_refuses_a_receipt_that_carries_tax(alice):
    fund(alice, 1180)
    receipt = TaxInvoice.objects.get(kind=TaxInvoice.Kind.RECEIPT)
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxInvoice.objects.filter(pk=receipt.pk).update(
            taxable_paise=100000, cgst_paise=9000, sgst_paise=9000
        )


def test_receipts_start_a_new_series_each_financial_year(alice):
    fund(alice, 500)
    next_april = timezone.make_aware(
        datetime(tax.financial_year(timezone.localdate()) + 1, 4, 2)  # noqa: DTZ001 - made aware
    )
    with mock.patch("applications.tax.timezone.now", return_value=next_april):
        fund(alice, 500)
    years = TaxInvoice.objects.filter(kind="receipt").values_list("financial_year", "sequence")
    this_year = tax.financial_year(timezone.localdate())
    assert sorted(years) == [(this_year, 1), (this_year + 1, 1)]


def test_each_agency_and_financial_year_has_its_own_series(
    alice, eic_mumbai, fieo_delhi, eic_registered, fieo_registered
):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 2000)
    for office in (eic_mumbai, fieo_delhi, eic_mumbai):
        application = factories.ApplicationFactory(exporter=alice, office=office)
        wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    numbers = dict(
        TaxInvoice.objects.filter(kind="tax_invoice").values_list("supplier", "sequence")
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


def test_a_rolled_back_payment_gives_its_invoice_number_back(alice, eic_mumbai, eic_registered):
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


def test_only_the_firm_downloads_its_tax_invoice_and_receipt(
    alice, alice_client, bob_client, eic_mumbai, eic_registered
):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 1000)
    application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
    wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    for kind, title, filename in (
        ("receipt", "Receipt for a fee wallet top-up", "receipt-COOWR-"),
        ("tax_invoice", "Tax invoice", "tax-invoice-EIC-"),
    ):
        document = TaxInvoice.objects.get(kind=kind)
        url = reverse("applications:tax-invoice", args=[document.pk])
        response = alice_client.get(url)
        assert response["Content-Type"] == "application/pdf"
        assert filename in response["Content-Disposition"]
        assert pdf_text(response.content).startswith(title)
        assert bob_client.get(url).status_code == 404


def test_the_wallet_page_lists_the_receipt_and_the_fee_invoice_by_kind(
    alice, alice_client, eic_mumbai, eic_registered
):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 1000)
    application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
    wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    page = alice_client.get(reverse("applications:wallet")).content.decode()
    receipt = TaxInvoice.objects.get(kind="receipt")
    invoice = TaxInvoice.objects.get(kind="tax_invoice")
    assert "A top-up is a deposit, not a purchase: it gets a receipt" in page
    for label, document in (("Receipt", receipt), ("Tax invoice", invoice)):
        url = reverse("applications:tax-invoice", args=[document.pk])
        assert f'{label} <a href="{url}">{document.number}</a>' in page


def test_a_fees_tax_invoice_is_the_firms_paper_and_a_top_up_receipt_the_wallets(
    alice, eic_mumbai, client, eic_registered
):
    """Who acts for the firm now (a preparer, its agent) downloads the fee's tax invoice that
    the acknowledgement links to; a top-up's receipt is for the wallet's managers only; an
    agent whose authorisation ended gets neither."""
    from tests.accounts.agent_factories import kiran_logistics

    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 1000)
    application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
    wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    firm = alice.exporter_profile.iec_record
    preparer = factories.FirmMemberFactory(firm=firm, role="preparer").user
    kiran = kiran_logistics(firm, alice)
    fee_url = reverse(
        "applications:tax-invoice", args=[TaxInvoice.objects.get(kind="tax_invoice").pk]
    )
    receipt_url = reverse(
        "applications:tax-invoice", args=[TaxInvoice.objects.get(kind="receipt").pk]
    )
    for person in (preparer, kiran.user):
        client.force_login(person)
        assert client.get(fee_url)["Content-Type"] == "application/pdf"
        assert client.get(receipt_url).status_code == 404
    kiran.agent.authorisations.update(withdrawn_at=timezone.now(), withdrawn_by=alice)
    client.force_login(kiran.user)
    assert client.get(fee_url).status_code == 404
