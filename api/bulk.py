"""Bulk filing: one spreadsheet (CSV or XLSX) of applications, a row each, with one line of
goods per row. Every row is checked by the same schema, forms and services as the API's
create (api/filing.py); each valid row becomes a draft, each bad one a message naming its
row (the header is row 1, as the spreadsheet shows it)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import openpyxl
from django.db import transaction
from django.utils import timezone
from pydantic import ValidationError as SchemaError

from accounts.models import User
from applications.events import via_api
from applications.models import LINE_ITEM_FIELDS
from applications.workflow import WorkflowError
from core.durable.outbox import outbox_enqueue

from . import filing, schemas
from .models import BulkFiling
from .problems import ApiProblem

MAX_ROWS = 1000
TASK = "api.tasks.bulk_filing_run"
HEADER_COLUMNS = (
    "iec",
    "certificate_type",
    "agreement",
    "destination_country",
    "office",
    "client_reference",
    "purchase_order_number",
    "consignee_name",
    "consignee_address",
    "consignee_country",
    "transport_mode",
    "vessel_or_flight",
    "port_of_loading",
    "port_of_discharge",
    "departure_date",
    "invoice_number",
    "invoice_date",
    "invoice_currency",
    *LINE_ITEM_FIELDS,
)
_PARTIES = ("consignee_name", "consignee_address", "consignee_country")
_TRANSPORT = (
    "transport_mode",
    "vessel_or_flight",
    "port_of_loading",
    "port_of_discharge",
    "departure_date",
)


class BulkRefused(Exception):  # noqa: N818 - reads as the outcome
    """A file that cannot be read as a whole (not CSV/XLSX, no header, too many rows)."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_rows(name: str, content: bytes) -> list[dict[str, str]]:
    """The rows of a CSV or XLSX file as {column: text}, by its header row."""
    if name.lower().endswith(".xlsx"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
            raise BulkRefused("The file is not an XLSX workbook.") from exc
        sheet = book.worksheets[0]
        table = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        book.close()
    elif name.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BulkRefused("The CSV file is not UTF-8 text.") from exc
        table = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    else:
        raise BulkRefused("Upload a .csv or .xlsx file.")
    if not table:
        raise BulkRefused("The file is empty.")
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in ("iec", "certificate_type", "office") if c not in header]
    if missing:
        raise BulkRefused(f"The header row lacks the columns: {', '.join(missing)}.")
    rows = [dict(zip(header, row, strict=False)) for row in table[1:] if any(row)]
    if len(rows) > MAX_ROWS:
        raise BulkRefused(f"A file holds at most {MAX_ROWS} applications.")
    return rows


def body_of(row: dict[str, str]) -> schemas.ApplicationCreate:
    """The API's create body for one row (raises pydantic's ValidationError)."""

    def part(names: tuple[str, ...]) -> dict[str, str]:
        return {n: row[n] for n in names if row.get(n)}

    goods = {n: row[n] for n in LINE_ITEM_FIELDS if row.get(n)}
    invoice = {
        "number": row.get("invoice_number", ""),
        "date": row.get("invoice_date", ""),
        "currency": row.get("invoice_currency") or "USD",
    }
    return schemas.ApplicationCreate.model_validate(
        {
            "iec": row.get("iec") or None,
            "certificate_type": row.get("certificate_type", ""),
            "agreement": row.get("agreement") or None,
            "destination_country": row.get("destination_country", ""),
            "office": row.get("office", ""),
            "client_reference": row.get("client_reference", ""),
            "purchase_order_number": row.get("purchase_order_number", ""),
            "parties": part(_PARTIES),
            "transport": part(_TRANSPORT),
            "invoices": [invoice] if invoice["number"] else [],
            "goods": [goods] if goods else [],
        }
    )


def _message(problem: ApiProblem) -> str:
    parts = [
        f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in problem.errors
    ]
    return "; ".join(parts) or problem.detail or problem.title


def bulk_filing_start(*, user: User, name: str, content: bytes) -> BulkFiling:
    """Record the file's rows and queue their filing after commit (BulkRefused for a file
    that cannot be read)."""
    rows = read_rows(name, content)
    with transaction.atomic():
        bulk = BulkFiling.objects.create(created_by=user, file_name=name[-255:], rows=rows)
        outbox_enqueue(task=TASK, args=[bulk.pk])
    return bulk


def bulk_filing_step(*, bulk_id: int) -> bool:
    """File the next row (a draft, or a message); False when every row is done."""
    with transaction.atomic():
        bulk = BulkFiling.objects.select_for_update().select_related("created_by").get(pk=bulk_id)
        if bulk.done >= len(bulk.rows):
            if bulk.finished_at is None:
                bulk.finished_at = timezone.now()
                bulk.save(update_fields=["finished_at", "updated_at"])
            return False
        number = bulk.done + 2  # the spreadsheet's row number (the header is row 1)
        try:
            with transaction.atomic(), via_api():
                body = body_of(bulk.rows[bulk.done])
                application = filing.draft_create(user=bulk.created_by, body=body)
            bulk.references.append(application.reference)
        except SchemaError as exc:
            text = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            bulk.messages.append({"row": number, "message": text})
        except ApiProblem as problem:
            bulk.messages.append({"row": number, "message": _message(problem)})
        except WorkflowError as exc:  # its message is written for the person
            bulk.messages.append({"row": number, "message": str(exc)})
        bulk.done += 1
        bulk.save(update_fields=["done", "references", "messages", "updated_at"])
        return True
