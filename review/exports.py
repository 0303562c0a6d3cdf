"""Report files: CSV and XLSX of a report's table, built at once for a short range, or by a
Celery task for a long one (LONG_RANGE_DAYS or more), whose progress the page shows.

The task is enqueued through the outbox in the request's transaction and is idempotent: a
second run of a finished export does nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.db import transaction
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from accounts.models import User
from core.durable.outbox import outbox_enqueue

from .models import ReportExport
from .reports import Report, Scope, report_build

LONG_RANGE_DAYS = 366
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def report_filename(report: Report, scope: Scope, fmt: str) -> str:
    return f"{report.key}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.{fmt}"


def report_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(report.columns)
    for row in report.rows:
        # A value starting with = + - @ is read as a formula by spreadsheets: quote it.
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    return out.getvalue().encode()


def _text_cell(sheet: Any, value: Any) -> Any:
    """A text starting with "=" stays text (openpyxl would write it as a formula)."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def report_xlsx(report: Report) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=report.title[:31])
    sheet.append(report.columns)
    for row in report.rows:
        sheet.append([_text_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_file(report: Report, fmt: str) -> bytes:
    return report_xlsx(report) if fmt == "xlsx" else report_csv(report)


def is_long(scope: Scope) -> bool:
    return scope.days >= LONG_RANGE_DAYS


@transaction.atomic
def report_export_request(*, user: User, key: str, scope: Scope, fmt: str) -> ReportExport:
    """Record the export and enqueue its build (after commit, through the outbox)."""
    export = ReportExport.objects.create(
        requested_by=user,
        agency_id=scope.agency_id,
        report=key,
        start=scope.start,
        end=scope.end,
        period=scope.period,
        dimension=scope.dimension,
        format=fmt,
    )
    outbox_enqueue(task="review.report_export_build", args=[str(export.pk)])
    return export


def _progress(export_id: str, state: str, progress: int) -> None:
    ReportExport.objects.filter(pk=export_id).update(state=state, progress=progress)


def report_export_run(*, export_id: str) -> None:
    """Build the export's file. Idempotent: a finished export is left as it is."""
    export = ReportExport.objects.filter(pk=export_id).first()
    if export is None or export.state == ReportExport.State.DONE:
        return
    _progress(export_id, ReportExport.State.RUNNING, 10)
    scope = Scope(
        agency_id=export.agency_id,
        start=export.start,
        end=export.end,
        period=export.period,
        dimension=export.dimension,
    )
    try:
        report = report_build(export.report, scope)
        _progress(export_id, ReportExport.State.RUNNING, 70)
        content = report_file(report, export.format)
    except Exception:
        _progress(export_id, ReportExport.State.FAILED, 100)
        raise
    ReportExport.objects.filter(pk=export_id).update(
        state=ReportExport.State.DONE,
        progress=100,
        filename=report_filename(report, scope, export.format),
        content=content,
    )
