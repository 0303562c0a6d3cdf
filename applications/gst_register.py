"""An agency's GST register per month (every tax invoice, bill of supply and credit note it
issued), the same documents in the shape of the GSTR-1 return's B2B, B2CS and CDNR tables (the
columns of GSTN's offline tool), and the daily settlement report that puts the fees captured,
the refunds and the wallet's movements beside the gateway's settlement file.

Balancing: the taxable value and tax of the month's tax invoices, less those of its credit
notes, equal B2B + B2CS - CDNR to the paisa; B2CS is reported net of the credit notes to
unregistered recipients, as GSTN asks (such notes have no table of their own below B2CL's
threshold, which no fee reaches)."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from reference.gst import STATES
from reference.models import IssuingAgency

from .models import Application, Payment, PaymentRefund, TaxInvoice, WalletEntry
from .payment_types import SettlementLine
from .tax import rupees

Kind = TaxInvoice.Kind


def _month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(date(year, month, 1), time.min, tzinfo=tz)
    following = date(year + month // 12, month % 12 + 1, 1)
    return start, datetime.combine(following, time.min, tzinfo=tz)


def register_documents(agency: IssuingAgency, year: int, month: int) -> QuerySet[TaxInvoice]:
    """The agency's GST documents issued in that month, in the order they were numbered."""
    start, end = _month_bounds(year, month)
    return (
        TaxInvoice.objects.filter(
            agency=agency,
            kind__in=[Kind.TAX_INVOICE, Kind.BILL_OF_SUPPLY, Kind.CREDIT_NOTE],
            issued_at__gte=start,
            issued_at__lt=end,
        )
        .select_related("original")
        .order_by("issued_at", "id")
    )


def _date(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d-%b-%Y}"


def _place(code: str) -> str:
    return f"{code}-{STATES.get(code, '')}" if code else ""


def _rate(document: TaxInvoice) -> str:
    return f"{document.rate_percent.normalize()}" if document.rate_percent else "0"


REGISTER_HEADER = [
    "Document type",
    "Number",
    "Date",
    "Against document",
    "Recipient GSTIN",
    "Recipient name",
    "Place of supply",
    "Reverse charge",
    "SAC",
    "Rate %",
    "Taxable value",
    "IGST",
    "CGST",
    "SGST",
    "Document value",
]


def register_rows(documents: Iterable[TaxInvoice]) -> Iterator[list[str]]:
    """The register, a credit note's figures negative (it reduces the month's liability)."""
    yield REGISTER_HEADER
    for d in documents:
        sign = -1 if d.kind == Kind.CREDIT_NOTE else 1
        yield [
            d.get_kind_display(),
            d.number,
            _date(d.issued_at),
            d.original.number if d.original else "",
            d.recipient_gstin,
            d.recipient_name,
            _place(d.place_of_supply),
            "Y" if d.reverse_charge else "N",
            d.sac,
            _rate(d),
            rupees(sign * d.taxable_paise),
            rupees(sign * d.igst_paise),
            rupees(sign * d.cgst_paise),
            rupees(sign * d.sgst_paise),
            rupees(sign * d.total_paise),
        ]


B2B_HEADER = [
    "GSTIN/UIN of Recipient",
    "Receiver Name",
    "Invoice Number",
    "Invoice date",
    "Invoice Value",
    "Place Of Supply",
    "Reverse Charge",
    "Applicable % of Tax Rate",
    "Invoice Type",
    "E-Commerce GSTIN",
    "Rate",
    "Taxable Value",
    "Cess Amount",
]
B2CS_HEADER = [
    "Type",
    "Place Of Supply",
    "Applicable % of Tax Rate",
    "Rate",
    "Taxable Value",
    "Cess Amount",
    "E-Commerce GSTIN",
]
CDNR_HEADER = [
    "GSTIN/UIN of Recipient",
    "Receiver Name",
    "Note Number",
    "Note Date",
    "Note Type",
    "Place Of Supply",
    "Reverse Charge",
    "Note Supply Type",
    "Note Value",
    "Applicable % of Tax Rate",
    "Rate",
    "Taxable Value",
    "Cess Amount",
]


def _taxed(documents: Iterable[TaxInvoice]) -> list[TaxInvoice]:
    """Only documents that carry tax go to GSTR-1's taxable tables (a bill of supply, and a
    credit note against one, are exempt/non-GST supplies reported elsewhere)."""
    return [d for d in documents if d.supplier_gstin and d.rate_percent]


def gstr1_b2b(documents: Iterable[TaxInvoice]) -> Iterator[list[str]]:
    yield B2B_HEADER
    for d in _taxed(documents):
        if d.kind == Kind.TAX_INVOICE and d.recipient_gstin:
            yield [
                d.recipient_gstin,
                d.recipient_name,
                d.number,
                _date(d.issued_at),
                rupees(d.total_paise),
                _place(d.place_of_supply),
                "Y" if d.reverse_charge else "N",
                "",
                "Regular B2B",
                "",
                _rate(d),
                rupees(d.taxable_paise),
                "0.00",
            ]


def gstr1_b2cs(documents: Iterable[TaxInvoice]) -> Iterator[list[str]]:
    """Supplies to unregistered recipients, summed by place of supply and rate, net of their
    credit notes."""
    yield B2CS_HEADER
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for d in _taxed(documents):
        if not d.recipient_gstin:
            sign = -1 if d.kind == Kind.CREDIT_NOTE else 1
            totals[(d.place_of_supply, _rate(d))] += sign * d.taxable_paise
    for (place, rate), taxable in sorted(totals.items()):
        yield ["OE", _place(place), "", rate, rupees(taxable), "0.00", ""]


def gstr1_cdnr(documents: Iterable[TaxInvoice]) -> Iterator[list[str]]:
    yield CDNR_HEADER
    for d in _taxed(documents):
        if d.kind == Kind.CREDIT_NOTE and d.recipient_gstin:
            yield [
                d.recipient_gstin,
                d.recipient_name,
                d.number,
                _date(d.issued_at),
                "C",
                _place(d.place_of_supply),
                "Y" if d.reverse_charge else "N",
                "Regular B2B",
                rupees(d.total_paise),
                "",
                _rate(d),
                rupees(d.taxable_paise),
                "0.00",
            ]


GSTR1_SECTIONS = {"b2b": gstr1_b2b, "b2cs": gstr1_b2cs, "cdnr": gstr1_cdnr}


def taxable_value(rows: Iterable[list[str]], column: str) -> Decimal:
    """The sum of one column of a section (for checks: a section balances to the register)."""
    iterator = iter(rows)
    index = next(iterator).index(column)
    return sum((Decimal(row[index]) for row in iterator), Decimal(0))


# A cell starting with one of these is run as a formula by spreadsheets (a minus sign too,
# unless the cell is a negative figure).
_FORMULA = ("=", "+", "@", "\t", "\r")
_FIGURE = re.compile(r"^-\d+(\.\d+)?$")


def _safe(cell: str) -> str:
    if cell[:1] in _FORMULA or (cell[:1] == "-" and not _FIGURE.match(cell)):
        return f"'{cell}"
    return cell


class _Echo:
    """A file-like object whose write() returns the line: csv.writer into a stream."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    """The rows as CSV text, one line at a time (for a StreamingHttpResponse). A cell that a
    spreadsheet would run as a formula is quoted with a leading apostrophe."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_safe(cell) for cell in row])


# ---------------------------------------------------------------------------------------------
# The daily settlement report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementRow:
    what: str
    reference: str  # the gateway's payment or refund id, or the portal's order
    portal_paise: int | None  # what the portal recorded (None: nothing)
    gateway_paise: int | None  # what the gateway's file says (None: not in it)

    @property
    def difference(self) -> int:
        return (self.gateway_paise or 0) - (self.portal_paise or 0)


SETTLEMENT_HEADER = ["What", "Reference", "Portal (INR)", "Gateway file (INR)", "Difference"]


def settlement_report(
    agency: IssuingAgency, day: date, gateway_lines: list[SettlementLine]
) -> list[SettlementRow]:
    """For one agency and day: every card payment captured and every refund made, beside the
    gateway's settlement file (matched by the gateway's payment/refund id), then what the file
    has that the portal does not; and the fee wallet's movements for the agency's fees (money
    that did not pass the gateway that day, listed so the day's fees add up)."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    by_entity = {line.entity_id: line for line in gateway_lines}
    rows: list[SettlementRow] = []
    captured = Payment.objects.filter(
        application__agency=agency,
        captured_at__gte=start,
        captured_at__lt=end,
        state__in=[Payment.State.CAPTURED, Payment.State.UNAPPLIED],
    ).exclude(gateway="wallet")
    for payment in captured.order_by("captured_at"):
        line = by_entity.pop(payment.gateway_reference, None)
        rows.append(
            SettlementRow(
                "Fee captured" if payment.state == Payment.State.CAPTURED else "Capture refunded",
                payment.gateway_reference or payment.order_id,
                int(payment.amount * 100),
                line.amount_paise if line else None,
            )
        )
    refunds = PaymentRefund.objects.filter(
        payment__application__agency=agency, created_at__gte=start, created_at__lt=end
    ).exclude(gateway_refund_id="")
    for refund in refunds.order_by("created_at"):
        line = by_entity.pop(refund.gateway_refund_id, None)
        rows.append(
            SettlementRow(
                "Refund",
                refund.gateway_refund_id,
                -refund.amount_paise,
                -line.amount_paise if line else None,
            )
        )
    for line in by_entity.values():
        sign = -1 if line.kind == "refund" else 1
        rows.append(
            SettlementRow(
                f"In the gateway's file only ({line.kind})",
                line.entity_id,
                None,
                sign * line.amount_paise,
            )
        )
    # The day's entries (walletentry_created), then which of their applications are the
    # agency's: primary-key lookups of those few ids. As a join or a subquery, the planner
    # walked the agency's applications along the primary key to meet them (40-100 ms at a
    # million applications).
    day_entries = list(
        WalletEntry.objects.filter(created_at__gte=start, created_at__lt=end).order_by("created_at")
    )
    applications = {e.application_id for e in day_entries if e.application_id is not None}
    agencys = set(
        Application.objects.filter(agency=agency, pk__in=applications).values_list("pk", flat=True)
    )
    wallet = [e for e in day_entries if e.application_id in agencys]
    for entry in wallet:
        rows.append(
            SettlementRow(
                f"Wallet: {entry.get_kind_display()}", entry.description, -entry.amount_paise, None
            )
        )
    return rows


def settlement_rows(report: list[SettlementRow]) -> Iterator[list[str]]:
    yield SETTLEMENT_HEADER
    for row in report:
        wallet = row.what.startswith("Wallet")
        yield [
            row.what,
            row.reference,
            "" if row.portal_paise is None else rupees(row.portal_paise),
            "" if row.gateway_paise is None else rupees(row.gateway_paise),
            "" if wallet else rupees(row.difference),
        ]
