"""Issue 28, item 5: the certificate, the tax invoice, the receipt and the acknowledgement print
every script as written, through the one text engine (core/text.py), fonts embedded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from applications.acknowledgement import acknowledgement_pdf
from applications.models import TaxInvoice
from applications.tax import receipt_pdf, tax_invoice_pdf
from certificates.pdf import Consignee, Exporter, render_certificate
from tests import factories
from tests.certificates import samples
from tests.core.corpus import CORPUS, notdef_glyphs, pdf_text


def assert_prints_the_corpus(data: bytes) -> None:
    read = pdf_text(data)
    missing = [value for value in CORPUS if value not in read]
    assert missing == [], read
    assert notdef_glyphs(data) == []


def test_a_certificate_prints_the_corpus() -> None:
    data = samples.certificate(
        item_count=1,
        exporter=Exporter(name=CORPUS[0], address="\n".join(CORPUS[1:4]), iec="0123456789"),
        consignee=Consignee(name=CORPUS[4], address="\n".join(CORPUS[5:8]), country="Thailand"),
    )
    data = dataclasses.replace(
        data, items=[samples.item(i + 1, description=value) for i, value in enumerate(CORPUS)]
    )
    assert_prints_the_corpus(render_certificate(data))


def _document(kind: str, name: str, address: str) -> TaxInvoice:
    return TaxInvoice(
        kind=kind,
        number="EIC/2627/000001",
        issued_at=datetime(2026, 12, 7, 5, 30, tzinfo=UTC),
        financial_year=2026,
        supplier_name="Export Inspection Council",
        supplier_gstin="27AAAGE1234F1Z5",
        recipient_name=name,
        recipient_address=address,
        recipient_iec="0123456789",
        place_of_supply="27",
        sac="999113",
        description="Certificate of origin fee, application APP-1",
        rate_percent=Decimal(18),
        taxable_paise=42373,
        cgst_paise=3814,
        sgst_paise=3813,
        total_paise=50000,
    )


@pytest.mark.parametrize("first", [0, 3, 6])
def test_a_tax_invoice_prints_the_firms_name_and_address_in_any_script(first: int) -> None:
    """A recipient named in each script of the corpus (three at a time: the invoice prints
    three address lines), its name and address as written."""
    names = CORPUS[first : first + 4]
    invoice = _document(TaxInvoice.Kind.TAX_INVOICE, names[0], "\n".join(names[1:]))
    data = tax_invoice_pdf(invoice)
    read = pdf_text(data)
    assert [name for name in names if name not in read] == []
    assert notdef_glyphs(data) == []


def test_a_tax_invoice_and_a_receipt_print_the_whole_corpus() -> None:
    for value in CORPUS:
        for kind, render in (
            (TaxInvoice.Kind.TAX_INVOICE, tax_invoice_pdf),
            (TaxInvoice.Kind.RECEIPT, receipt_pdf),
        ):
            data = render(_document(kind, value, "Mumbai 400001"))
            assert value in pdf_text(data), (kind, value)
            assert notdef_glyphs(data) == []


@pytest.mark.django_db
def test_an_acknowledgement_prints_the_corpus(ready) -> None:
    firm = ready.firm
    firm.firm_name = "मुंबई निर्यात कंपनी"
    firm.save(update_fields=["firm_name"])
    ready.consignee_name = 'חברת יבוא בע"מ'
    ready.first_submitted_at = timezone.now()
    ready.save(update_fields=["consignee_name", "first_submitted_at"])
    last = max(item.position for item in ready.items.all())
    for position, value in enumerate(CORPUS, start=last + 1):
        factories.LineItemFactory(application=ready, description=value, position=position)

    data = acknowledgement_pdf(ready)

    assert_prints_the_corpus(data)
    read = pdf_text(data)
    assert "मुंबई निर्यात कंपनी" in read
    assert 'חברת יבוא בע"מ' in read
