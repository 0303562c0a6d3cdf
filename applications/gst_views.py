"""The agency's accounts: its GST register and GSTR-1 tables per month, and the daily
settlement report, as CSV streamed to its administrators (the agency's accounts officer)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, cast

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from accounts.decorators import officer_required
from accounts.permissions import is_agency_admin, officer_agency_id

from .gst_register import (
    GSTR1_SECTIONS,
    csv_lines,
    register_documents,
    register_rows,
    settlement_report,
    settlement_rows,
)
from .models import IssuingAgency
from .payments import gateway_get

logger = logging.getLogger(__name__)


def _agency(request: HttpRequest) -> IssuingAgency:
    agency_id = officer_agency_id(request.user)
    if agency_id is None or not is_agency_admin(request.user, agency_id):
        raise Http404("Only the agency's administrators see its accounts")
    return IssuingAgency.objects.get(pk=agency_id)


def _month(year: int, month: int) -> None:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404("No such month")


def _csv(rows: Any, filename: str) -> HttpResponse:
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # officer_required is typed for HttpResponse; Django serves any response, streamed too.
    return cast("HttpResponse", response)


@require_GET
@officer_required
def gst_register_csv(request: HttpRequest, year: int, month: int) -> HttpResponse:
    agency = _agency(request)
    _month(year, month)
    documents = register_documents(agency, year, month).iterator()
    return _csv(register_rows(documents), f"gst-register-{agency.code}-{year}-{month:02d}.csv")


@require_GET
@officer_required
def gstr1_csv(request: HttpRequest, year: int, month: int, section: str) -> HttpResponse:
    agency = _agency(request)
    _month(year, month)
    table = GSTR1_SECTIONS.get(section)
    if table is None:
        raise Http404("No such GSTR-1 table")
    documents = list(register_documents(agency, year, month))
    return _csv(table(documents), f"gstr1-{section}-{agency.code}-{year}-{month:02d}.csv")


@require_GET
@officer_required
def settlement_csv(request: HttpRequest, day: str) -> HttpResponse:
    agency = _agency(request)
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise Http404("No such day") from exc
    try:
        lines = gateway_get().settlement_report(agency.code, when.year, when.month, when.day)
    except Exception as exc:  # the gateway down: the portal's side alone, said in the name
        logger.warning("settlement file of %s for %s not read: %s", agency.code, day, exc)
        return _csv(
            settlement_rows(settlement_report(agency, when, [])),
            f"settlement-{agency.code}-{day}-without-gateway-file.csv",
        )
    return _csv(
        settlement_rows(settlement_report(agency, when, lines)),
        f"settlement-{agency.code}-{day}.csv",
    )
