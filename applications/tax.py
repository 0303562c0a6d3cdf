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
import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from num2words import num2words
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from accounts.models import IECRecord
from core.counters import counter_next
from core.english import in_english
from core.text import base_font, draw_line, draw_paragraph, wrap
from reference.gst import state_label
from reference.models import AgencyTaxProfile, IssuingAgency

from .models import Payment, TaxInvoice, TaxInvoiceCounter, WalletTopUp
from .rollups import tax_invoice_issued

logger = logging.getLogger(__name__)

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


def _number(supplier_code: str, year: int, sequence: int) -> str:
    """EIC/2627/000001: series code, financial year (2026-27), sequence; never more than the
    16 characters GST Rule 46(b) allows (a longer code leaves fewer, at least 4, digits)."""
    digits = max(4, min(6, 10 - len(supplier_code)))
    return f"{supplier_code}/{year % 100:02d}{(year + 1) % 100:02d}/{sequence:0{digits}d}"


def _issue(*, supplier: str, supplier_code: str, **fields: object) -> TaxInvoice:
    """Allocate the next number of the series and store the invoice or receipt. Must run in
    the transaction that records the payment: the counter row stays locked until it commits,
    and a rollback gives the number back, so the series has no gaps and no repeats."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A tax invoice or receipt is issued inside the payment's transaction.")
    now = timezone.now()
    year = financial_year(timezone.localdate(now))
    sequence = counter_next(TaxInvoiceCounter, supplier=supplier, financial_year=year)
    invoice = TaxInvoice.objects.create(
        supplier=supplier,
        financial_year=year,
        sequence=sequence,
        number=_number(supplier_code, year, sequence),
        issued_at=now,
        **fields,
    )
    tax_invoice_issued(invoice=invoice)  # the reports' daily roll-up, in this transaction
    return invoice


def _recipient(firm: IECRecord, gstin: str) -> dict[str, object]:
    return {
        "firm": firm,
        "recipient_name": firm.firm_name,
        "recipient_address": firm.address,
        "recipient_iec": firm.iec,
        "recipient_gstin": gstin,
    }


@dataclass(frozen=True)
class Supplier:
    """The agency as its GST documents name it (its tax profile, or what is known without)."""

    name: str
    address: str
    state: str
    gstin: str
    sac: str
    reverse_charge: bool
    e_invoicing: bool


def supplier_of(agency: IssuingAgency) -> Supplier:
    profile = AgencyTaxProfile.objects.filter(agency=agency).first()
    if profile is None:  # no profile yet: what the agency row says, no reverse charge
        return Supplier(
            name=agency.name,
            address="",
            state=agency.gstin[:2],
            gstin=agency.gstin,
            sac=settings.TAX_INVOICE_FEE_SAC,
            reverse_charge=False,
            e_invoicing=False,
        )
    return Supplier(
        name=profile.legal_name,
        address=profile.address,
        state=profile.state_code,
        gstin=profile.gstin,
        sac=profile.sac,
        reverse_charge=profile.reverse_charge,
        e_invoicing=profile.e_invoicing,
    )


def _figures(*, supplier: Supplier, recipient_gstin: str, total_paise: int) -> dict[str, object]:
    """Place of supply (IGST Act s.12(2)): a registered recipient's state, else the
    supplier's. An unregistered supplier charges no tax (bill of supply). Under reverse
    charge the fee paid is the taxable value and the tax, shown on the invoice, is paid by
    the recipient to the government; otherwise the fee paid includes the tax."""
    place = recipient_gstin[:2] or supplier.state
    if not supplier.gstin:
        return {
            "place_of_supply": place,
            "recipient_state": place,
            "rate_percent": Decimal(0),
            "taxable_paise": total_paise,
            "total_paise": total_paise,
        }
    rate = Decimal(str(settings.GST_RATE_PERCENT))
    intra = place == supplier.state
    if supplier.reverse_charge:
        tax = _round(Decimal(total_paise) * rate / 100)
        half = _round(Decimal(total_paise) * rate / 200)
        figures = (
            TaxFigures(taxable=total_paise, cgst=half, sgst=half, igst=0)
            if intra
            else TaxFigures(taxable=total_paise, cgst=0, sgst=0, igst=tax)
        )
    else:
        figures = tax_figures(total_paise=total_paise, rate_percent=rate, intra_state=intra)
    return {
        "place_of_supply": place,
        "recipient_state": place,
        "rate_percent": rate,
        "taxable_paise": figures.taxable,
        "cgst_paise": figures.cgst,
        "sgst_paise": figures.sgst,
        "igst_paise": figures.igst,
        "total_paise": figures.total,
    }


def e_invoice_register(invoice: TaxInvoice) -> None:
    """The hook for e-invoicing (an agency whose profile says it applies): where the IRN and
    its signed QR code would be obtained from the Invoice Registration Portal and stored on
    the invoice. Not built yet (docs/payments.md): it only logs that one is owed."""
    logger.warning("Tax invoice %s needs an IRN (e-invoicing): not obtained yet.", invoice.number)


def tax_invoice_issue_for_fee(*, payment: Payment, firm: IECRecord, firm_gstin: str) -> TaxInvoice:
    """The issuing agency's document for an application's fee (by card or from the wallet):
    a tax invoice when the agency is registered for GST, else a bill of supply without tax."""
    existing = TaxInvoice.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    agency = payment.application.agency
    supplier = supplier_of(agency)
    kind = TaxInvoice.Kind.TAX_INVOICE if supplier.gstin else TaxInvoice.Kind.BILL_OF_SUPPLY
    invoice = _issue(
        supplier=f"agency:{agency.code}" if supplier.gstin else f"agency:{agency.code}:bos",
        supplier_code=agency.code if supplier.gstin else f"{agency.code}B",
        kind=kind,
        agency=agency,
        payment=payment,
        supplier_name=supplier.name,
        supplier_address=supplier.address,
        supplier_state=supplier.state,
        supplier_gstin=supplier.gstin,
        reverse_charge=bool(supplier.gstin) and supplier.reverse_charge,
        sac=supplier.sac,
        description=f"Certificate of origin fee, application {payment.application.reference}",
        **_recipient(firm, firm_gstin),
        **_figures(
            supplier=supplier, recipient_gstin=firm_gstin, total_paise=int(payment.amount * 100)
        ),
    )
    if supplier.e_invoicing and kind == TaxInvoice.Kind.TAX_INVOICE:
        e_invoice_register(invoice)
    return invoice


def credit_note_issue_for_refund(*, invoice: TaxInvoice, reason: str) -> TaxInvoice:
    """The credit note that cancels a fee's invoice when the fee is refunded (CGST Rule 53;
    section 34): the same figures, its own gapless series per agency and financial year,
    referring to the invoice. At most one per invoice (the fee is refunded once)."""
    existing = invoice.credit_notes.first()
    if existing is not None:
        return existing
    code = invoice.agency.code if invoice.agency else "X"
    fields = {
        name: getattr(invoice, name)
        for name in (
            "agency",
            "firm",
            "supplier_name",
            "supplier_address",
            "supplier_state",
            "supplier_gstin",
            "reverse_charge",
            "recipient_name",
            "recipient_address",
            "recipient_iec",
            "recipient_gstin",
            "recipient_state",
            "place_of_supply",
            "sac",
            "rate_percent",
            "taxable_paise",
            "cgst_paise",
            "sgst_paise",
            "igst_paise",
            "total_paise",
        )
    }
    return _issue(
        supplier=f"agency:{code}:credit",
        supplier_code=f"{code}C",
        kind=TaxInvoice.Kind.CREDIT_NOTE,
        original=invoice,
        description=reason,
        **fields,
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


def _text(
    pdf: canvas.Canvas,
    x: float,
    y: float,
    text: str,
    *,
    size: float = 9.5,
    bold: bool = False,
    right: bool = False,
) -> None:
    """Every piece of text on these documents is drawn here, through the shared text engine
    (core.text: bidi, every script, embedded subsets)."""
    draw_line(pdf, x, y, text, size=size, bold=bold, align="right" if right else "left")


def _canvas(buffer: io.BytesIO) -> canvas.Canvas:
    """An A4 canvas whose initial font is the engine's embedded one (reportlab's default,
    Helvetica, would be named in the file without being embedded)."""
    return canvas.Canvas(buffer, pagesize=A4, invariant=True, initialFontName=base_font())


def _lines(pdf: canvas.Canvas, x: float, y: float, lines: list[str], size: float = 9.5) -> float:
    """Lines of text in any script, each wrapped to the room left of the right margin (a
    column starting mid-page has half the page), returning the baseline under the last."""
    width = (A4[0] / 2 - 5 * mm if x < A4[0] / 2 else A4[0] - 20 * mm) - x
    for line in lines:
        y = draw_paragraph(pdf, x, y, line, size=size, width=width, leading=size * 1.45)
    return y


def amount_in_words(paise: int) -> str:
    """'Rupees five hundred and ninety only', in the Indian system (lakh, crore)."""
    rupees_part, paise_part = divmod(abs(paise), 100)
    words = f"Rupees {num2words(rupees_part, lang='en_IN')}"
    if paise_part:
        words += f" and {num2words(paise_part, lang='en_IN')} paise"
    return f"{words} only"


def _address_lines(address: str) -> list[str]:
    return [line.strip() for line in address.splitlines() if line.strip()][:4]


_TITLES = {
    TaxInvoice.Kind.TAX_INVOICE: "Tax invoice",
    TaxInvoice.Kind.BILL_OF_SUPPLY: "Bill of supply",
    TaxInvoice.Kind.CREDIT_NOTE: "Credit note",
}


@in_english
def tax_invoice_pdf(invoice: TaxInvoice) -> bytes:
    """One A4 page with every particular of CGST Rule 46 (a tax invoice), Rule 49 (a bill of
    supply) or Rule 53 (a credit note): supplier's name, address and GSTIN; serial number and
    date; recipient's name, address, GSTIN and state; SAC and description; taxable value;
    rate and amount of each tax; place of supply; reverse charge; total in figures and words."""
    buffer = io.BytesIO()
    pdf = _canvas(buffer)
    title = _TITLES.get(TaxInvoice.Kind(invoice.kind), "Tax invoice")
    pdf.setTitle(f"{title} {invoice.number}")
    width, height = A4
    left, right_edge, y = 20 * mm, width - 20 * mm, height - 25 * mm
    _text(pdf, left, y, title, size=16, bold=True)
    if invoice.kind == TaxInvoice.Kind.TAX_INVOICE:
        _text(pdf, right_edge, y, "Original for recipient", size=8.5, right=True)
    y -= 8 * mm
    kind_label = "Credit note" if invoice.kind == TaxInvoice.Kind.CREDIT_NOTE else "Invoice"
    particulars = [
        f"{kind_label} number: {invoice.number}",
        f"{kind_label} date: {timezone.localtime(invoice.issued_at):%d %B %Y}",
        f"Financial year: {financial_year_label(invoice.financial_year)}",
        f"Place of supply: {state_label(invoice.place_of_supply) or 'not known'}",
        f"Tax payable on reverse charge: {'Yes' if invoice.reverse_charge else 'No'}",
    ]
    original = invoice.original
    if original is not None:
        particulars.append(
            f"Against {original.get_kind_display().lower()} {original.number} dated "
            f"{timezone.localtime(original.issued_at):%d %B %Y}"
        )
    y = _lines(pdf, left, y, particulars) - 4 * mm
    _text(pdf, left, y, "Supplier", size=11, bold=True)
    _text(pdf, width / 2, y, "Recipient", size=11, bold=True)
    y -= 5.5 * mm
    supplier = [
        invoice.supplier_name,
        *_address_lines(invoice.supplier_address),
        f"State: {state_label(invoice.supplier_state) or 'not known'}",
        f"GSTIN: {invoice.supplier_gstin or 'not registered'}",
    ]
    recipient = [
        invoice.recipient_name,
        *_address_lines(invoice.recipient_address),
        f"State: {state_label(invoice.recipient_state) or 'not known'}",
        f"IEC: {invoice.recipient_iec}",
        f"GSTIN: {invoice.recipient_gstin or 'unregistered'}",
    ]
    y = min(_lines(pdf, left, y, supplier), _lines(pdf, width / 2, y, recipient)) - 6 * mm

    columns = (left, left + 95 * mm, left + 120 * mm)
    _text(pdf, columns[0], y, "Description of service", bold=True)
    _text(pdf, columns[1], y, "SAC", bold=True)
    _text(pdf, right_edge, y, "Taxable value (INR)", bold=True, right=True)
    y -= 2.5 * mm
    pdf.line(left, y, right_edge, y)
    y -= 5 * mm
    _text(pdf, columns[1], y, invoice.sac)
    _text(pdf, right_edge, y, rupees(invoice.taxable_paise), right=True)
    for line in wrap(invoice.description, size=9.5, width=90 * mm)[:3]:
        _text(pdf, columns[0], y, line)
        y -= 4.5 * mm
    y -= 3.5 * mm
    rate = invoice.rate_percent.normalize()
    rows = [("Taxable value", invoice.taxable_paise)]
    taxed = invoice.kind != TaxInvoice.Kind.BILL_OF_SUPPLY and bool(invoice.supplier_gstin)
    if taxed and invoice.igst_paise:
        rows.append((f"IGST @ {rate}%", invoice.igst_paise))
    elif taxed:
        half = (invoice.rate_percent / 2).normalize()
        rows += [(f"CGST @ {half}%", invoice.cgst_paise), (f"SGST @ {half}%", invoice.sgst_paise)]
    for label, paise in rows:
        _text(pdf, columns[2], y, label)
        _text(pdf, right_edge, y, rupees(paise), right=True)
        y -= 5.5 * mm
    pdf.line(columns[2], y + 3 * mm, right_edge, y + 3 * mm)
    _text(pdf, columns[2], y - 1 * mm, "Total (INR)", size=10, bold=True)
    _text(pdf, right_edge, y - 1 * mm, rupees(invoice.total_paise), size=10, bold=True, right=True)
    y -= 9 * mm
    _text(pdf, left, y, f"Total in words: {amount_in_words(invoice.total_paise)}", size=9.5)
    y -= 9 * mm
    notes = []
    if invoice.kind == TaxInvoice.Kind.BILL_OF_SUPPLY:
        notes.append(
            "The supplier is not registered under GST: no tax is charged (a bill of supply, "
            "Rule 49 of the Central GST Rules)."
        )
    if invoice.reverse_charge:
        tax = invoice.total_paise - invoice.taxable_paise
        notes.append(
            f"The tax of INR {rupees(tax)} is payable by the recipient under reverse charge "
            "(section 9(3) of the CGST Act)."
        )
        if invoice.kind != TaxInvoice.Kind.CREDIT_NOTE:
            notes.append(f"INR {rupees(invoice.taxable_paise)} was paid to the supplier.")
    notes.append("Generated electronically by the portal; it needs no signature.")
    _lines(pdf, left, y, notes, size=8.5)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_pdf(receipt: TaxInvoice) -> bytes:
    """One A4 page: the money received into the wallet, from whom, with the payment's
    reference, and no tax figures (the tax is on each fee's invoice)."""
    top_up = receipt.top_up
    buffer = io.BytesIO()
    pdf = _canvas(buffer)
    pdf.setTitle(f"Receipt {receipt.number}")
    width, height = A4
    left, y = 20 * mm, height - 25 * mm
    _text(pdf, left, y, "Receipt for a fee wallet top-up", size=16, bold=True)
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
    _text(pdf, left, y, "Received by", size=11, bold=True)
    _text(pdf, width / 2, y, "Received from", size=11, bold=True)
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
    _text(pdf, left, y, "Amount received (INR)", size=11, bold=True)
    _text(pdf, width - 20 * mm, y, rupees(receipt.total_paise), size=11, bold=True, right=True)
    y -= 6 * mm
    _text(pdf, left, y, f"In words: {amount_in_words(receipt.total_paise)}")
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
