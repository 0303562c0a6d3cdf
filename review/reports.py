"""Reports for an agency administrator (their agency) and platform staff (every agency).

Each report is a table (columns, rows) with one numeric series that its chart draws; the same
table is the page's data table, the CSV and the XLSX, so the three never disagree. Applications
received and decided are read from the daily roll-up (review/rollups.py) for full days and from
the applications only for today; every other figure is one grouped query over an index range
(the applications' decided index, the events' time index, the verification log's time index),
never a row per application read into Python: bench/reports.py times them at 1,000,000
applications.

Periods are calendar days, ISO weeks (starting Monday) or months, in the portal's time zone;
the range is inclusive of both dates.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from applications.models import (
    DECIDED_STATUSES,
    Application,
    ApplicationEvent,
    Payment,
    Status,
    TaxInvoice,
    WalletEntry,
)
from verification.models import VerificationLog

from .models import ApplicationDay

PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
DIMENSIONS = {
    "office": ("office__code", "Office"),
    "agreement": ("agreement__code", "Agreement"),
    "destination": ("destination_country", "Destination"),
    "status": ("status", "Status now"),
}
# The service standard: a decision within this many hours of the (latest) submission.
SERVICE_STANDARD_HOURS = 48
REASONS_SHOWN = 10


@dataclass(frozen=True)
class Scope:
    """Whose figures: one agency's (agency_id), or every agency's (None, platform staff)."""

    agency_id: int | None
    start: date
    end: date  # inclusive
    period: str = "day"
    dimension: str = "office"

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass
class Report:
    key: str
    title: str
    explanation: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    # The chart: one bar per label, its value (the table holds the same figures).
    chart_label: str = ""
    chart: list[tuple[str, float]] = field(default_factory=list)


def _period_label(value: date | datetime | None, period: str) -> str:
    if value is None:
        return ""
    day = value.date() if isinstance(value, datetime) else value
    if period == "month":
        return day.strftime("%Y-%m")
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return day.isoformat()


def _applications(scope: Scope) -> QuerySet[Application]:
    qs = Application.objects.all()
    return qs if scope.agency_id is None else qs.filter(agency_id=scope.agency_id)


def _chart(rows: Iterable[list[Any]], label_at: int, value_at: int) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for row in rows:
        totals[str(row[label_at])] += float(row[value_at] or 0)
    return sorted(totals.items())


# ---------------------------------------------------------------------------------------------
# Applications received and decided
# ---------------------------------------------------------------------------------------------


# Each dimension's column in the roll-up (review.models.ApplicationDay).
ROLLUP_DIMENSIONS = {
    "office": "office__code",
    "agreement": "agreement__code",
    "destination": "destination",
    "status": "status",
}


def _raw_counts(
    qs: QuerySet[Application], when: str, scope: Scope, since: datetime
) -> Iterable[tuple[Any, Any, int]]:
    """(bucket, dimension value, count) from the applications themselves, from `since`."""
    field_name, _ = DIMENSIONS[scope.dimension]
    trunc = PERIODS[scope.period]
    rows = (
        qs.filter(**{f"{when}__gte": since, f"{when}__lt": scope.until})
        .annotate(bucket=trunc(when))
        .values("bucket", field_name)
        .annotate(n=Count("pk"))
        .order_by()
    )
    return ((row["bucket"], row[field_name], row["n"]) for row in rows)


def _rollup_counts(measure: str, scope: Scope, until: date) -> Iterable[tuple[Any, Any, int]]:
    """(day, dimension value, count) from the daily roll-up, for the full days before `until`."""
    column = ROLLUP_DIMENSIONS[scope.dimension]
    qs = ApplicationDay.objects.filter(measure=measure, day__gte=scope.start, day__lt=until)
    if scope.agency_id is not None:
        qs = qs.filter(agency_id=scope.agency_id)
    rows = qs.values("day", column).annotate(n=Sum("count")).order_by()
    return ((row["day"], row[column], row["n"]) for row in rows)


def _by_period_and_dimension(
    qs: QuerySet[Application], when: str, scope: Scope, measure: str, *, raw: bool = False
) -> list[list[Any]]:
    """The counts by period and dimension: the roll-up for the days before today, the
    applications for today (or, with `raw`, the applications for the whole range: the test
    that the two agree, and a check by hand)."""
    today = timezone.localdate()
    counts: dict[tuple[str, Any], int] = defaultdict(int)
    sources: list[Iterable[tuple[Any, Any, int]]] = []
    if raw or scope.start >= today:
        sources.append(_raw_counts(qs, when, scope, scope.since))
    else:
        sources.append(_rollup_counts(measure, scope, min(today, scope.end + timedelta(days=1))))
        if scope.end >= today:
            sources.append(_raw_counts(qs, when, scope, _day_start(today)))
    for source in sources:
        for bucket, value, n in source:
            counts[(_period_label(bucket, scope.period), value)] += n
    out = []
    for (label, value), n in sorted(
        counts.items(), key=lambda item: (item[0][0], str(item[0][1] or ""))
    ):
        if scope.dimension == "status":
            value = Status(value).label
        out.append([label, value or "Non-preferential", n])
    return out


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def received(scope: Scope, *, raw: bool = False) -> Report:
    _, dimension_title = DIMENSIONS[scope.dimension]
    rows = _by_period_and_dimension(
        _applications(scope), "first_submitted_at", scope, ApplicationDay.Measure.RECEIVED, raw=raw
    )
    return Report(
        key="received",
        title="Applications received",
        explanation="Applications by the day of their first submission.",
        columns=["Period", dimension_title, "Applications"],
        rows=rows,
        chart_label="Applications received",
        chart=_chart(rows, 0, 2),
    )


def decided(scope: Scope, *, raw: bool = False) -> Report:
    _, dimension_title = DIMENSIONS[scope.dimension]
    qs = _applications(scope).filter(status__in=DECIDED_STATUSES)
    rows = _by_period_and_dimension(
        qs, "decided_at", scope, ApplicationDay.Measure.DECIDED, raw=raw
    )
    return Report(
        key="decided",
        title="Applications decided",
        explanation="Applications approved (and issued) or rejected, by the day of the decision.",
        columns=["Period", dimension_title, "Applications"],
        rows=rows,
        chart_label="Applications decided",
        chart=_chart(rows, 0, 2),
    )


# ---------------------------------------------------------------------------------------------
# Time to decision
# ---------------------------------------------------------------------------------------------


def _durations_by_period(scope: Scope) -> list[tuple[str, int, float | None, float | None, int]]:
    """(period, decisions, median hours, p90 hours, breaches): PostgreSQL computes the
    percentiles; SQLite (one developer's data) has none, so there Python does."""
    qs = (
        _applications(scope)
        .filter(
            status__in=DECIDED_STATUSES,
            decided_at__gte=scope.since,
            decided_at__lt=scope.until,
            submitted_at__isnull=False,
        )
        .filter(decided_at__gte=F("submitted_at"))
    )
    trunc = PERIODS[scope.period]
    standard = SERVICE_STANDARD_HOURS * 3600
    if connection.vendor == "postgresql":
        inner = qs.annotate(bucket=trunc("decided_at")).values(
            "bucket", "submitted_at", "decided_at"
        )
        sql, params = inner.order_by().query.sql_with_params()
        took = "EXTRACT(EPOCH FROM d.decided_at - d.submitted_at)"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.bucket, COUNT(*), "  # noqa: S608 - Django compiled the inner query
                f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {took}), "
                f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {took}), "
                f"COUNT(*) FILTER (WHERE {took} > %s) "
                f"FROM ({sql}) AS d GROUP BY d.bucket ORDER BY d.bucket",
                [standard, *params],  # the outer %s comes before the inner query's
            )
            return [
                (
                    _period_label(bucket, scope.period),
                    n,
                    None if p50 is None else float(p50) / 3600,
                    None if p90 is None else float(p90) / 3600,
                    breaches,
                )
                for bucket, n, p50, p90, breaches in cursor.fetchall()
            ]
    seconds: dict[str, list[float]] = defaultdict(list)
    for bucket, submitted, done in qs.annotate(bucket=trunc("decided_at")).values_list(
        "bucket", "submitted_at", "decided_at"
    ):
        if submitted is not None and done is not None:  # filtered above; narrows the type
            seconds[_period_label(bucket, scope.period)].append((done - submitted).total_seconds())
    out: list[tuple[str, int, float | None, float | None, int]] = []
    for label in sorted(seconds):
        values = sorted(seconds[label])
        # PostgreSQL's percentile_cont is the "inclusive" (linear) method.
        p90 = (
            statistics.quantiles(values, n=10, method="inclusive")[-1] if values[1:] else values[0]
        )
        out.append(
            (
                label,
                len(values),
                statistics.median(values) / 3600,
                p90 / 3600,
                sum(1 for v in values if v > standard),
            )
        )
    return out


def time_to_decision(scope: Scope) -> Report:
    rows: list[list[Any]] = [
        [label, n, _hours(p50), _hours(p90), breaches]
        for label, n, p50, p90, breaches in _durations_by_period(scope)
    ]
    return Report(
        key="time-to-decision",
        title="Time to decision",
        explanation=(
            "Hours from the latest submission to the decision: the median, the 90th percentile "
            f"(linear interpolation), and the decisions that took longer than the service "
            f"standard of {SERVICE_STANDARD_HOURS} hours."
        ),
        columns=["Period", "Decisions", "Median (hours)", "90th percentile (hours)", "Breaches"],
        rows=rows,
        chart_label="Median hours to decision",
        chart=[(str(row[0]), float(row[2] or 0)) for row in rows],
    )


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ---------------------------------------------------------------------------------------------
# Clarifications and refusals
# ---------------------------------------------------------------------------------------------


def _events(scope: Scope) -> QuerySet[ApplicationEvent]:
    qs = ApplicationEvent.objects.filter(created_at__gte=scope.since, created_at__lt=scope.until)
    return qs if scope.agency_id is None else qs.filter(application__agency_id=scope.agency_id)


def clarifications_and_refusals(scope: Scope) -> Report:
    trunc = PERIODS[scope.period]
    rows_by_period: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in (
        _events(scope)
        .filter(kind=ApplicationEvent.Kind.TRANSITION, from_status=Status.UNDER_REVIEW)
        .annotate(bucket=trunc("created_at"))
        .values("bucket")
        .annotate(
            decisions=Count("pk", filter=Q(to_status__in=[*DECIDED_STATUSES])),
            clarified=Count("pk", filter=Q(to_status=Status.CLARIFICATION_REQUESTED)),
            refused=Count("pk", filter=Q(to_status=Status.REJECTED)),
        )
        .order_by("bucket")
    ):
        label = _period_label(row["bucket"], scope.period)
        rows_by_period[label] = [row["decisions"], row["clarified"], row["refused"]]
    rows: list[list[Any]] = []
    for label, (decisions, clarified, refused) in sorted(rows_by_period.items()):
        outcomes = decisions + clarified
        rows.append(
            [
                label,
                outcomes,
                clarified,
                _percent(clarified, outcomes),
                refused,
                _percent(refused, outcomes),
            ]
        )
    return Report(
        key="clarifications",
        title="Clarification and refusal rates",
        explanation=(
            "What officers did with the applications they reviewed: each outcome is a "
            "decision or a request for clarification; the rates are shares of the outcomes."
        ),
        columns=[
            "Period",
            "Outcomes",
            "Clarifications",
            "Clarification rate (%)",
            "Refusals",
            "Refusal rate (%)",
        ],
        rows=rows,
        chart_label="Refusal rate (%)",
        chart=[(str(row[0]), float(row[5])) for row in rows],
    )


def refusal_reasons(scope: Scope) -> Report:
    rows = [
        [reason or "(no reason given)", n]
        for reason, n in _events(scope)
        .filter(kind=ApplicationEvent.Kind.TRANSITION, to_status=Status.REJECTED)
        .values_list("note")
        .annotate(n=Count("pk"))
        .order_by("-n", "note")[:REASONS_SHOWN]
    ]
    return Report(
        key="refusal-reasons",
        title="Reasons for refusal",
        explanation=f"The {REASONS_SHOWN} most frequent reasons, as the officers wrote them.",
        columns=["Reason", "Refusals"],
        rows=rows,
        chart_label="Refusals",
        chart=[(str(row[0])[:40], float(row[1])) for row in rows],
    )


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


# ---------------------------------------------------------------------------------------------
# Officers' workload
# ---------------------------------------------------------------------------------------------


def officer_workload(scope: Scope) -> Report:
    done: dict[int, dict[str, Any]] = {}
    for row in (
        _events(scope)
        .filter(kind=ApplicationEvent.Kind.TRANSITION, actor__isnull=False)
        .filter(actor__officer_profile__isnull=False)
        .values("actor_id", "actor__first_name", "actor__last_name", "actor__username")
        .annotate(
            started=Count("pk", filter=Q(to_status=Status.UNDER_REVIEW)),
            approved=Count("pk", filter=Q(to_status=Status.APPROVED)),
            rejected=Count("pk", filter=Q(to_status=Status.REJECTED)),
            clarified=Count("pk", filter=Q(to_status=Status.CLARIFICATION_REQUESTED)),
        )
    ):
        name = f"{row['actor__first_name']} {row['actor__last_name']}".strip()
        done[row["actor_id"]] = {"name": name or row["actor__username"], **row}
    open_now = dict(
        _applications(scope)
        .filter(
            status__in=[Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED],
            assigned_officer__isnull=False,
        )
        .values_list("assigned_officer_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows = []
    for officer_id, row in sorted(done.items(), key=lambda item: item[1]["name"]):
        rows.append(
            [
                row["name"],
                row["started"],
                row["approved"],
                row["rejected"],
                row["clarified"],
                open_now.get(officer_id, 0),
            ]
        )
    return Report(
        key="workload",
        title="Each officer's workload",
        explanation=(
            "Reviews started and decisions taken in the range, and the applications each "
            "officer holds now (under review or awaiting the exporter)."
        ),
        columns=[
            "Officer",
            "Reviews started",
            "Approved",
            "Rejected",
            "Clarifications",
            "Held now",
        ],
        rows=rows,
        chart_label="Decisions",
        chart=[(str(r[0]), float(r[2] + r[3])) for r in rows],
    )


# ---------------------------------------------------------------------------------------------
# Fees, refunds and GST
# ---------------------------------------------------------------------------------------------


def fees(scope: Scope) -> Report:
    """By month whatever the period: fees are reconciled by month."""
    captured = Payment.objects.filter(
        captured_at__gte=scope.since,
        captured_at__lt=scope.until,
        state__in=[Payment.State.CAPTURED],
    )
    refunds = WalletEntry.objects.filter(
        kind=WalletEntry.Kind.REFUND, created_at__gte=scope.since, created_at__lt=scope.until
    )
    invoices = TaxInvoice.objects.filter(
        kind=TaxInvoice.Kind.TAX_INVOICE, issued_at__gte=scope.since, issued_at__lt=scope.until
    )
    if scope.agency_id is not None:
        captured = captured.filter(application__agency_id=scope.agency_id)
        refunds = refunds.filter(application__agency_id=scope.agency_id)
        invoices = invoices.filter(agency_id=scope.agency_id)
    months: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0.0])
    for row in (
        captured.annotate(m=TruncMonth("captured_at"))
        .values("m")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        month = months[_period_label(row["m"], "month")]
        month[0], month[1] = row["n"], float(row["total"] or 0)
    for row in (
        refunds.annotate(m=TruncMonth("created_at"))
        .values("m")
        .annotate(total=Sum("amount_paise"))
        .order_by()
    ):
        months[_period_label(row["m"], "month")][2] = (row["total"] or 0) / 100
    for row in (
        invoices.annotate(m=TruncMonth("issued_at"))
        .values("m")
        .annotate(gst=Sum(F("cgst_paise") + F("sgst_paise") + F("igst_paise")))
        .order_by()
    ):
        months[_period_label(row["m"], "month")][3] = (row["gst"] or 0) / 100
    rows: list[list[Any]] = [
        [label, int(n), round(total, 2), round(refunded, 2), round(gst, 2)]
        for label, (n, total, refunded, gst) in sorted(months.items())
    ]
    return Report(
        key="fees",
        title="Fees, refunds and GST by month",
        explanation=(
            "Fee payments captured (INR), refunds to fee wallets, and the GST on the tax "
            "invoices issued, by calendar month."
        ),
        columns=["Month", "Payments", "Fees (INR)", "Refunds (INR)", "GST (INR)"],
        rows=rows,
        chart_label="Fees (INR)",
        chart=[(str(row[0]), float(row[2])) for row in rows],
    )


# ---------------------------------------------------------------------------------------------
# Verification lookups
# ---------------------------------------------------------------------------------------------


def verification_lookups(scope: Scope) -> Report:
    qs = VerificationLog.objects.filter(
        created_at__gte=scope.since, created_at__lt=scope.until, certificate__isnull=False
    )
    if scope.agency_id is not None:
        qs = qs.filter(certificate__application__agency_id=scope.agency_id)
    trunc = PERIODS[scope.period]
    rows = [
        [
            _period_label(row["bucket"], scope.period),
            VerificationLog.Channel(row["channel"]).label,
            row["n"],
        ]
        for row in qs.annotate(bucket=trunc("created_at"))
        .values("bucket", "channel")
        .annotate(n=Count("pk"))
        .order_by("bucket", "channel")
    ]
    return Report(
        key="lookups",
        title="Verification lookups by channel",
        explanation="Lookups of the certificates by verifiers, by channel (page, QR, API...).",
        columns=["Period", "Channel", "Lookups"],
        rows=rows,
        chart_label="Lookups",
        chart=_chart(rows, 0, 2),
    )


REPORTS: dict[str, tuple[str, Callable[[Scope], Report]]] = {
    "received": ("Applications received", received),
    "decided": ("Applications decided", decided),
    "time-to-decision": ("Time to decision", time_to_decision),
    "clarifications": ("Clarification and refusal rates", clarifications_and_refusals),
    "refusal-reasons": ("Reasons for refusal", refusal_reasons),
    "workload": ("Each officer's workload", officer_workload),
    "fees": ("Fees, refunds and GST", fees),
    "lookups": ("Verification lookups", verification_lookups),
}


def report_build(key: str, scope: Scope) -> Report:
    return REPORTS[key][1](scope)
