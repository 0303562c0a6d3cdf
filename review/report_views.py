"""Report pages: an agency administrator's (their agency) and platform staff's (all agencies).

Each report has a page with its date-range filters, its chart (inline SVG) and its data
table, and the same table as CSV and XLSX. Anyone else gets a 404, as for a page that does
not exist.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from accounts.permissions import (
    admin_agency_id,
    has_second_factor,
    is_agency_admin,
    is_platform_staff,
)

from .charts import bar_chart
from .forms import ReportFilterForm
from .reports import REPORTS, Report, Scope, report_build

DEFAULT_DAYS = 30
View = Callable[..., HttpResponse]


def report_reader_required(view: View) -> View:
    """An agency administrator or platform staff, past the second factor."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not has_second_factor(user):
            return redirect(f"{reverse('accounts:officer-login')}?next={request.path}")
        if not (is_agency_admin(user) or is_platform_staff(user)):
            raise Http404("No such page")
        return view(request, *args, **kwargs)

    return wrapper


def _scope(request: HttpRequest, form: ReportFilterForm) -> Scope:
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    end = data.get("end") or today
    start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end or (end - start).days >= ReportFilterForm.MAX_DAYS:
        start, end = today - timedelta(days=DEFAULT_DAYS - 1), today
    agency_id = admin_agency_id(request.user)  # None: platform staff, every agency
    return Scope(
        agency_id=agency_id,
        start=start,
        end=end,
        period=data.get("period") or "day",
        dimension=data.get("dimension") or "office",
    )


@require_GET
@report_reader_required
def report_index(request: HttpRequest) -> HttpResponse:
    reports = [(key, title) for key, (title, _) in REPORTS.items()]
    return render(request, "officer/reports.html", {"reports": reports})


@require_GET
@report_reader_required
def report_page(request: HttpRequest, key: str) -> HttpResponse:
    if key not in REPORTS:
        raise Http404("No such report")
    form = ReportFilterForm(request.GET or None)
    scope = _scope(request, form)
    report = report_build(key, scope)
    export = request.GET.get("format")
    if export == "csv":
        return _csv(report, scope)
    if export == "xlsx":
        return _xlsx(report, scope)
    query = request.GET.copy()
    query.pop("format", None)
    context = {
        "form": form,
        "report": report,
        "scope": scope,
        "everyone": scope.agency_id is None,
        "chart": bar_chart(title=report.chart_label, series=report.chart, chart_id="chart"),
        "query": query.urlencode(),
    }
    return render(request, "officer/report.html", context, status=400 if form.errors else 200)


def _filename(report: Report, scope: Scope, extension: str) -> str:
    return f"{report.key}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.{extension}"


def _csv(report: Report, scope: Scope) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(report.columns)
    for row in report.rows:
        # A value starting with = + - @ is read as a formula by spreadsheets: quote it.
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, scope, "csv")}"'
    return response


def _text_cell(sheet: Any, value: Any) -> Any:
    """A text starting with "=" stays text (openpyxl would write it as a formula)."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _xlsx(report: Report, scope: Scope) -> HttpResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=report.title[:31])
    sheet.append(report.columns)
    for row in report.rows:
        sheet.append([_text_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(report, scope, "xlsx")}"'
    return response
