"""Report pages: an agency administrator's (their agency) and platform staff's (all agencies).

Each report has a page with its date-range filters, its chart (inline SVG) and its data
table, and the same table as CSV and XLSX. Anyone else gets a 404, as for a page that does
not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.permissions import (
    admin_agency_id,
    has_second_factor,
    is_agency_admin,
    is_platform_staff,
)

from . import exports
from .charts import bar_chart
from .forms import ReportFilterForm
from .models import ReportExport
from .reports import REPORTS, Scope, report_build

DEFAULT_DAYS = 30
View = Callable[..., HttpResponse]


def report_reader_required(view: View) -> View:
    """An agency administrator or platform staff, past the second factor."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect(f"{reverse('accounts:officer-login')}?next={request.path}")
        if not (is_agency_admin(user) or is_platform_staff(user)):
            raise Http404("No such page")
        if not has_second_factor(user):
            return redirect(f"{reverse('accounts:officer-login')}?next={request.path}")
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
def report_page(request: HttpRequest, report: str) -> HttpResponse:
    key = report
    if key not in REPORTS:
        raise Http404("No such report")
    form = ReportFilterForm(request.GET or None)
    scope = _scope(request, form)
    fmt = request.GET.get("format")
    if fmt in exports.CONTENT_TYPES and exports.is_long(scope):
        # A long range is built by a worker (no report of it here): the page shows progress.
        user = request.user
        if not isinstance(user, User):  # report_reader_required let no one else through
            raise Http404("No such page")
        export = exports.report_export_request(user=user, key=key, scope=scope, fmt=fmt)
        return redirect("officer:report-export", export_id=export.pk)
    built = report_build(key, scope)
    if fmt in exports.CONTENT_TYPES:
        content = exports.report_file(built, fmt)
        return _download(content, exports.report_filename(built, scope, fmt), fmt)
    query = request.GET.copy()
    query.pop("format", None)
    context = {
        "form": form,
        "report": built,
        "scope": scope,
        "everyone": scope.agency_id is None,
        "chart": bar_chart(title=built.chart_label, series=built.chart, chart_id="chart"),
        "query": query.urlencode(),
    }
    return render(request, "officer/report.html", context, status=400 if form.errors else 200)


def _download(content: bytes, filename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@report_reader_required
def report_export(request: HttpRequest, export_id: str) -> HttpResponse:
    """A background export's progress, then its download link (the requester's only)."""
    export = _export_of(request, export_id)
    return render(request, "officer/report_export.html", {"export": export})


@require_GET
@report_reader_required
def report_export_download(request: HttpRequest, export_id: str) -> HttpResponse:
    export = _export_of(request, export_id)
    if export.state != ReportExport.State.DONE:
        raise Http404("Not ready")
    return _download(bytes(export.content), export.filename, export.format)


def _export_of(request: HttpRequest, export_id: str) -> ReportExport:
    export = ReportExport.objects.filter(pk=export_id, requested_by_id=request.user.pk).first()
    if export is None:
        raise Http404("No such export")
    return export
