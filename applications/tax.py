"""GST tax invoices for every fee paid (supplier: the issuing agency), and receipts for wallet
top-ups, each numbered gaplessly per series (an agency's invoices, the platform's receipts) and
financial year.

A top-up is not a supply: it is money deposited with the platform for fees that the agencies
supply later (GST is due on the supply, not on an advance for a supply by someone else). So it
gets a numbered receipt with no tax figures, and the tax is charged once, on the agency's tax
invoice for each fee, whether the fee is paid by card or from the wallet.

Figures. The fee schedule's amount is what the exporter pays, tax included (the amount charged
does not change with GST). The tax is worked back from it: intra-state, CGST and SGST are each
round(total x rate/2 / (100 + rate)) and the taxable value is the rest; inter-state, IGST is
total - round(total x 100 / (100 + rate)). So the three figures always add up to the amount
paid, to the paisa. Place of supply: the recipient's state (the first two digits of the firm's
GSTIN) when the firm gave one, else the supplier's own state (an unregistered recipient);
CGST + SGST when that is the supplier's state, IGST otherwise.

SAC. Fees: 999113, "public administrative services related to the more efficient operation of
business" (heading 9991, administrative services of the government). It and the rate are
settings (TAX_INVOICE_FEE_SAC, GST_RATE_PERCENT).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from accounts.models import IECRecord
from core.text import base_font, draw_line, draw_paragraph

from .models import Payment, TaxInvoice, TaxInvoiceCounter, WalletTopUp

GSTIN_RE = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")
RECEIPTS = "platform:receipts"  # the counter's series of top-up receipts


def financial_year(day: date) -> int:
    """India's financial year runs April to March: 2026 is 1 April 2026 - 31 March 2027."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(year: int) -> str:
    return f"{year}-{(year + 1) % 100:02d}"


def rupees(paise: int) -> str:
    """12345 -> '123.45' (no currency sign: the PDF and the CSV say INR in a heading)."""
    sign = "-" if paise < 0 else ""
    return f"{sign}{abs(paise) // 100}.{abs(paise) % 100:02d}"


@dataclass(frozen=True)
class TaxFigures:
    taxable: int
    cgst: int
    sgst: int
    igst: int

    @property
    def total(self) -> int:
        return self.taxable + self.cgst + self.sgst + self.igst


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_figures(*, total_paise: int, rate_percent: Decimal, intra_state: bool) -> TaxFigures:
    """Split an amount paid, tax included, into taxable value and tax (see the module doc)."""
    total, rate = Decimal(total_paise), Decimal(rate_percent)
    if intra_state:
        half = _round(total * rate / 2 / (100 + rate))
        return TaxFigures(taxable=total_paise - 2 * half, cgst=half, sgst=half, igst=0)
    taxable = _round(total * 100 / (100 + rate))
    return TaxFigures(taxable=taxable, cgst=0, sgst=0, igst=total_paise - taxable)


def _counter_locked(supplier: str, year: int) -> TaxInvoiceCounter:
    counter = TaxInvoiceCounter.objects.select_for_update().filter(
        supplier=supplier, financial_year=year
    )
    found = counter.first()
    if found is not None:
        return found
    try:
        # A savepoint: if another transaction created the row first, only this insert is
        # undone, and the locking read below waits for that transaction to finish.
        with transaction.atomic():
            TaxInvoiceCounter.objects.create(supplier=supplier, financial_year=year)
    except IntegrityError:
        pass
    return counter.get()


def _number(supplier_code: str, year: int, sequence: int) -> str:
    """EIC/2627/000001: supplier, financial year (2026-27), sequence. 16 characters or fewer
    for agency codes of up to five letters, as GST rule 46 asks."""
    return f"{supplier_code}/{year % 100:02d}{(year + 1) % 100:02d}/{sequence:06d}"


def _issue(*, supplier: str, supplier_code: str, **fields: object) -> TaxInvoice:
    """Allocate the next number of the series and store the invoice or receipt. Must run in
    the transaction that records the payment: the counter row stays locked until it commits,
    and a rollback gives the number back, so the series has no gaps and no repeats."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A tax invoice or receipt is issued inside the payment's transaction.")
    now = timezone.now()
    year = financial_year(timezone.localdate(now))
    counter = _counter_locked(supplier, year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return TaxInvoice.objects.create(
        supplier=supplier,
        financial_year=year,
        sequence=counter.last,
        number=_number(supplier_code, year, counter.last),
        issued_at=now,
        **fields,
    )


def _recipient(firm: IECRecord, gstin: str) -> dict[str, object]:
    return {
        "firm": firm,
        "recipient_name": firm.firm_name,
        "recipient_address": firm.address,
        "recipient_iec": firm.iec,
        "recipient_gstin": gstin,
    }


def _figures(*, supplier_gstin: str, recipient_gstin: str, total_paise: int) -> dict[str, object]:
    supplier_state = supplier_gstin[:2]
    place = recipient_gstin[:2] or supplier_state
    rate = Decimal(str(settings.GST_RATE_PERCENT))
    figures = tax_figures(
        total_paise=total_paise, rate_percent=rate, intra_state=place == supplier_state
    )
    return {
        "place_of_supply": place,
        "rate_percent": rate,
        "taxable_paise": figures.taxable,
        "cgst_paise": figures.cgst,
        "sgst_paise": figures.sgst,
        "igst_paise": figures.igst,
        "total_paise": figures.total,
    }


def tax_invoice_issue_for_fee(*, payment: Payment, firm: IECRecord, firm_gstin: str) -> TaxInvoice:
    """The issuing agency's invoice for an application's fee (by card or from the wallet)."""
    existing = TaxInvoice.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    agency = payment.application.agency
    return _issue(
        supplier=f"agency:{agency.code}",
        supplier_code=agency.code,
        agency=agency,
        payment=payment,
        supplier_name=agency.name,
        supplier_gstin=agency.gstin,
        sac=settings.TAX_INVOICE_FEE_SAC,
        description=f"Certificate of origin fee, application {payment.application.reference}",
        **_recipient(firm, firm_gstin),
        **_figures(
            supplier_gstin=agency.gstin,
            recipient_gstin=firm_gstin,
            total_paise=int(payment.amount * 100),
        ),
    )


def receipt_issue_for_top_up(*, top_up: WalletTopUp, firm: IECRecord) -> TaxInvoice:
    """The platform's receipt for money paid into a wallet: a deposit, so no tax figures."""
    existing = TaxInvoice.objects.filter(top_up=top_up).first()
    if existing is not None:
        return existing
    return _issue(
        supplier=RECEIPTS,
        supplier_code=f"{settings.PLATFORM_INVOICE_PREFIX}R",
        kind=TaxInvoice.Kind.RECEIPT,
        top_up=top_up,
        supplier_name=settings.PLATFORM_OPERATOR_NAME,
        supplier_gstin=settings.PLATFORM_GSTIN,
        sac="",
        description=f"Fee wallet top-up {top_up.order_id}",
        **_recipient(firm, top_up.wallet.gstin),
        place_of_supply="",
        rate_percent=Decimal(0),
        taxable_paise=top_up.amount_paise,
        total_paise=top_up.amount_paise,
    )


# ---------------------------------------------------------------------------------------------
# The PDF
# ---------------------------------------------------------------------------------------------


def _lines(pdf: canvas.Canvas, x: float, y: float, lines: list[str], size: float = 9.5) -> float:
    """Lines of text in any script, each wrapped to the room left of the right margin (a
    column starting mid-page has half the page), returning the baseline under the last."""
    width = (A4[0] / 2 - 5 * mm if x < A4[0] / 2 else A4[0] - 20 * mm) - x
    for line in lines:
        y = draw_paragraph(pdf, x, y, line, size=size, width=width, leading=size * 1.45)
    return y


def tax_invoice_pdf(invoice: TaxInvoice) -> bytes:
    """One A4 page: who supplies whom, the service, its SAC, taxable value, tax and total."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, initialFontName=base_font())
    pdf.setTitle(f"Tax invoice {invoice.number}")
    width, height = A4
    left, y = 20 * mm, height - 25 * mm
    draw_line(pdf, left, y, "Tax invoice", size=16, bold=True)
    y -= 8 * mm
    y = _lines(
        pdf,
        left,
        y,
        [
            f"Invoice number: {invoice.number}",
            f"Invoice date: {timezone.localtime(invoice.issued_at):%d %B %Y}",
            f"Financial year: {financial_year_label(invoice.financial_year)}",
            f"Place of supply (state code): {invoice.place_of_supply or 'not known'}",
        ],
    )
    y -= 4 * mm
    draw_line(pdf, left, y, "Supplier", size=11, bold=True)
    draw_line(pdf, width / 2, y, "Recipient", size=11, bold=True)
    y -= 5.5 * mm
    supplier = [invoice.supplier_name, f"GSTIN: {invoice.supplier_gstin or 'not registered'}"]
    recipient = [
        invoice.recipient_name,
        *[line.strip() for line in invoice.recipient_address.splitlines() if line.strip()][:3],
        f"IEC: {invoice.recipient_iec}",
        f"GSTIN: {invoice.recipient_gstin or 'unregistered'}",
    ]
    y = min(_lines(pdf, left, y, supplier), _lines(pdf, width / 2, y, recipient)) - 6 * mm

    columns = (left, left + 95 * mm, left + 120 * mm)
    draw_line(pdf, columns[0], y, "Description of service", size=9.5, bold=True)
    draw_line(pdf, columns[1], y, "SAC", size=9.5, bold=True)
    draw_line(pdf, width - 20 * mm, y, "Amount (INR)", size=9.5, bold=True, align="right")
    y -= 2.5 * mm
    pdf.line(left, y, width - 20 * mm, y)
    y -= 5 * mm
    draw_line(pdf, columns[0], y, invoice.description, size=9.5, max_width=93 * mm)
    draw_line(pdf, columns[1], y, invoice.sac, size=9.5)
    draw_line(pdf, width - 20 * mm, y, rupees(invoice.taxable_paise), size=9.5, align="right")
    y -= 8 * mm
    rate = invoice.rate_percent.normalize()
    rows = [("Taxable value", invoice.taxable_paise)]
    if invoice.igst_paise:
        rows.append((f"IGST @ {rate}%", invoice.igst_paise))
    else:
        half = (invoice.rate_percent / 2).normalize()
        rows += [(f"CGST @ {half}%", invoice.cgst_paise), (f"SGST @ {half}%", invoice.sgst_paise)]
    for label, paise in rows:
        draw_line(pdf, columns[2], y, label, size=9.5)
        draw_line(pdf, width - 20 * mm, y, rupees(paise), size=9.5, align="right")
        y -= 5.5 * mm
    pdf.line(columns[2], y + 3 * mm, width - 20 * mm, y + 3 * mm)
    draw_line(pdf, columns[2], y - 1 * mm, "Total (tax included)", size=10, bold=True)
    total = rupees(invoice.total_paise)
    draw_line(pdf, width - 20 * mm, y - 1 * mm, total, size=10, bold=True, align="right")
    y -= 14 * mm
    _lines(
        pdf,
        left,
        y,
        [
            "Tax payable on reverse charge: No.",
            "This invoice was generated electronically by the portal and needs no signature.",
        ],
        size=8.5,
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_pdf(receipt: TaxInvoice) -> bytes:
    """One A4 page: the money received into the wallet, from whom, with the payment's
    reference, and no tax figures (the tax is on each fee's invoice)."""
    top_up = receipt.top_up
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True, initialFontName=base_font())
    pdf.setTitle(f"Receipt {receipt.number}")
    width, height = A4
    left, y = 20 * mm, height - 25 * mm
    draw_line(pdf, left, y, "Receipt for a fee wallet top-up", size=16, bold=True)
    y -= 8 * mm
    y = _lines(
        pdf,
        left,
        y,
        [
            f"Receipt number: {receipt.number}",
            f"Date: {timezone.localtime(receipt.issued_at):%d %B %Y}",
            f"Financial year: {financial_year_label(receipt.financial_year)}",
        ],
    )
    y -= 4 * mm
    draw_line(pdf, left, y, "Received by", size=11, bold=True)
    draw_line(pdf, width / 2, y, "Received from", size=11, bold=True)
    y -= 5.5 * mm
    received_by = [receipt.supplier_name]
    received_from = [
        receipt.recipient_name,
        *[line.strip() for line in receipt.recipient_address.splitlines() if line.strip()][:3],
        f"IEC: {receipt.recipient_iec}",
    ]
    y = min(_lines(pdf, left, y, received_by), _lines(pdf, width / 2, y, received_from))
    y -= 6 * mm
    y = _lines(
        pdf,
        left,
        y,
        [
            f"Top-up order: {top_up.order_id if top_up else '-'}",
            f"Payment reference: {(top_up.gateway_reference if top_up else '') or '-'}",
        ],
    )
    y -= 3 * mm
    draw_line(pdf, left, y, "Amount received (INR)", size=11, bold=True)
    total = rupees(receipt.total_paise)
    draw_line(pdf, width - 20 * mm, y, total, size=11, bold=True, align="right")
    y -= 12 * mm
    _lines(
        pdf,
        left,
        y,
        [
            "This is not a tax invoice. Tax is charged on the tax invoice issued for each fee "
            "paid from the wallet.",
            "This receipt was generated electronically by the portal and needs no signature.",
        ],
        size=8.5,
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def document_pdf(document: TaxInvoice) -> bytes:
    """The PDF of a tax invoice or of a receipt, as its kind says."""
    if document.kind == TaxInvoice.Kind.RECEIPT:
        return receipt_pdf(document)
    return tax_invoice_pdf(document)
