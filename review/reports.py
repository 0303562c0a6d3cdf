"""Reports for an agency administrator (their agency) and platform staff (every agency).

Each report is a table (columns, rows) with one numeric series that its chart draws; the same
table is the page's data table, the CSV and the XLSX, so the three never disagree.

Every report but one reads a daily roll-up for the full days of its range and the raw rows
only for today, so that it answers from a few thousand rows however many applications there
are (bench/reports.py, at 1,000,000): applications received and decided (review/rollups.py),
clarification rates and each officer's workload (the review steps, applications/rollups.py),
time to decision (a per-day histogram of the hours to decision, the same module: percentiles
cannot be summed, histograms can), fees (the same module), lookups (verification/rollups.py).
With `raw=True` they read the raw rows for the whole range: the tests hold the two equal. The
reasons for refusal (free text) are one grouped query over an index range of the events.

Periods are calendar days, ISO weeks (starting Monday) or months, in the portal's time zone;
the range is inclusive of both dates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from accounts.models import User
from applications.models import (
    DECIDED_STATUSES,
    Application,
    ApplicationEvent,
    DecisionDay,
    FeeDay,
    Payment,
    ReviewDay,
    Status,
    TaxInvoice,
    WalletEntry,
)
from applications.rollups import decisions_hours, percentile
from verification.models import LookupDay, VerificationLog

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


def _durations_by_period(
    scope: Scope, *, raw: bool = False
) -> list[tuple[str, int, float | None, float | None, int]]:
    """(period, decisions, median hours, p90 hours, breaches), from the histogram of hours to
    decision (applications.models.DecisionDay) for the full days and the applications for
    today (or, with `raw`, the whole range): percentiles do not add up, histograms do."""
    hours: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    rollup_until, raw_since = _parts(scope, raw)
    if rollup_until is not None:
        days = DecisionDay.objects.filter(day__gte=scope.start, day__lt=rollup_until)
        if scope.agency_id is not None:
            days = days.filter(agency_id=scope.agency_id)
        for day, took, n in (
            days.values_list("day", "hours").annotate(n=Sum("count")).order_by().iterator()
        ):
            hours[_period_label(day, scope.period)][took] += n
    if raw_since is not None:
        for day, _, took in decisions_hours(
            since=raw_since, until=scope.until, agency_id=scope.agency_id
        ):
            hours[_period_label(day, scope.period)][took] += 1
    out: list[tuple[str, int, float | None, float | None, int]] = []
    for label in sorted(hours):
        histogram = sorted(hours[label].items())
        out.append(
            (
                label,
                sum(n for _, n in histogram),
                percentile(histogram, 0.5),
                percentile(histogram, 0.9),
                sum(n for took, n in histogram if took > SERVICE_STANDARD_HOURS),
            )
        )
    return out


def time_to_decision(scope: Scope, *, raw: bool = False) -> Report:
    rows: list[list[Any]] = [
        [label, n, _hours(p50), _hours(p90), breaches]
        for label, n, p50, p90, breaches in _durations_by_period(scope, raw=raw)
    ]
    return Report(
        key="time-to-decision",
        title="Time to decision",
        explanation=(
            "Hours from the latest submission to the decision: the median, the 90th percentile "
            f"(linear interpolation), and the decisions that took longer than the service "
            f"standard of {SERVICE_STANDARD_HOURS} hours. "
            "Each time is rounded up to the whole hour before the median and the 90th "
            "percentile are taken, so they may be up to 1 hour above the exact figures; "
            "the breaches are exact."
        ),
        columns=[
            "Period",
            "Decisions",
            "Median (hours, within 1 hour)",
            "90th percentile (hours, within 1 hour)",
            "Breaches",
        ],
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


def _parts(scope: Scope, raw: bool) -> tuple[date | None, datetime | None]:
    """Where a report reads from: the roll-up for the full days before this date (None: not
    at all), and the raw rows from this moment to the end of the range (None: not at all).
    With `raw`, the raw rows for the whole range (the tests that the two agree)."""
    today = timezone.localdate()
    if raw or scope.start >= today:
        return None, scope.since
    rollup_until = min(today, scope.end + timedelta(days=1))
    return rollup_until, (_day_start(today) if scope.end >= today else None)


def _review_steps(scope: Scope, *, raw: bool) -> Iterable[tuple[date, str, str, int, int]]:
    """(day, from status, to status, actor id (0: the system), count) of the review steps
    (applications.models.ReviewDay) in the range."""
    rollup_until, raw_since = _parts(scope, raw)
    if rollup_until is not None:
        days = ReviewDay.objects.filter(day__gte=scope.start, day__lt=rollup_until)
        if scope.agency_id is not None:
            days = days.filter(agency_id=scope.agency_id)
        for row in (
            days.values("day", "from_status", "to_status", "actor_id")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            yield row["day"], row["from_status"], row["to_status"], row["actor_id"], row["n"]
    if raw_since is not None:
        events = ApplicationEvent.objects.filter(
            Q(from_status=Status.UNDER_REVIEW) | Q(to_status=Status.UNDER_REVIEW),
            kind=ApplicationEvent.Kind.TRANSITION,
            created_at__gte=raw_since,
            created_at__lt=scope.until,
        )
        if scope.agency_id is not None:
            events = events.filter(application__agency_id=scope.agency_id)
        for row in (
            events.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "from_status", "to_status", "actor_id")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            yield row["day"], row["from_status"], row["to_status"], row["actor_id"] or 0, row["n"]


def clarifications_and_refusals(scope: Scope, *, raw: bool = False) -> Report:
    rows_by_period: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for day, from_status, to_status, _, n in _review_steps(scope, raw=raw):
        if from_status != Status.UNDER_REVIEW:
            continue
        counts = rows_by_period[_period_label(day, scope.period)]
        counts[0] += n if to_status in DECIDED_STATUSES else 0
        counts[1] += n if to_status == Status.CLARIFICATION_REQUESTED else 0
        counts[2] += n if to_status == Status.REJECTED else 0
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


# What each officer's workload counts: the review steps that end in these statuses.
WORKLOAD_STEPS = {
    Status.UNDER_REVIEW: 0,  # reviews started
    Status.APPROVED: 1,
    Status.REJECTED: 2,
    Status.CLARIFICATION_REQUESTED: 3,
}


def officer_workload(scope: Scope, *, raw: bool = False) -> Report:
    done: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for _, _, to_status, actor_id, n in _review_steps(scope, raw=raw):
        if actor_id and to_status in WORKLOAD_STEPS:
            done[actor_id][WORKLOAD_STEPS[Status(to_status)]] += n
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
    names = {
        row["pk"]: f"{row['first_name']} {row['last_name']}".strip() or row["username"]
        for row in User.objects.filter(
            pk__in={*done, *open_now}, officer_profile__isnull=False
        ).values("pk", "first_name", "last_name", "username")
    }
    rows = [
        [name, *done[officer_id], open_now.get(officer_id, 0)]
        for officer_id, name in sorted(names.items(), key=lambda item: (item[1], item[0]))
    ]
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


def _fees_raw(scope: Scope, since: datetime, months: dict[str, list[int]]) -> None:
    """Add the payments, refunds and tax invoices from `since` to the end of the range."""
    captured = Payment.objects.filter(
        captured_at__gte=since, captured_at__lt=scope.until, state=Payment.State.CAPTURED
    )
    refunds = WalletEntry.objects.filter(
        kind=WalletEntry.Kind.REFUND, created_at__gte=since, created_at__lt=scope.until
    )
    invoices = TaxInvoice.objects.filter(
        kind=TaxInvoice.Kind.TAX_INVOICE, issued_at__gte=since, issued_at__lt=scope.until
    )
    if scope.agency_id is not None:
        captured = captured.filter(application__agency_id=scope.agency_id)
        refunds = refunds.filter(application__agency_id=scope.agency_id)
        invoices = invoices.filter(agency_id=scope.agency_id)
    for row in (
        captured.annotate(m=TruncMonth("captured_at"))
        .values("m")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        month = months[_period_label(row["m"], "month")]
        month[0] += row["n"]
        month[1] += int((row["total"] or 0) * 100)
    for row in (
        refunds.annotate(m=TruncMonth("created_at"))
        .values("m")
        .annotate(total=Sum("amount_paise"))
        .order_by()
    ):
        months[_period_label(row["m"], "month")][2] += row["total"] or 0
    for row in (
        invoices.annotate(m=TruncMonth("issued_at"))
        .values("m")
        .annotate(gst=Sum(F("cgst_paise") + F("sgst_paise") + F("igst_paise")))
        .order_by()
    ):
        months[_period_label(row["m"], "month")][3] += row["gst"] or 0


def fees(scope: Scope, *, raw: bool = False) -> Report:
    """By month whatever the period: fees are reconciled by month. Counted in paise."""
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rollup_until, raw_since = _parts(scope, raw)
    if rollup_until is not None:
        days = FeeDay.objects.filter(day__gte=scope.start, day__lt=rollup_until)
        if scope.agency_id is not None:
            days = days.filter(agency_id=scope.agency_id)
        for day, n, paid, refunded, gst in days.values_list(
            "day", "payments", "fees_paise", "refunds_paise", "gst_paise"
        ):
            month = months[_period_label(day, "month")]
            month[0] += n
            month[1] += paid
            month[2] += refunded
            month[3] += gst
    if raw_since is not None:
        _fees_raw(scope, raw_since, months)
    rows: list[list[Any]] = [
        [label, n, paid / 100, refunded / 100, gst / 100]
        for label, (n, paid, refunded, gst) in sorted(months.items())
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


def verification_lookups(scope: Scope, *, raw: bool = False) -> Report:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    rollup_until, raw_since = _parts(scope, raw)
    if rollup_until is not None:
        days = LookupDay.objects.filter(day__gte=scope.start, day__lt=rollup_until)
        if scope.agency_id is not None:
            days = days.filter(agency_id=scope.agency_id)
        for row in days.values("day", "channel").annotate(n=Sum("count")).order_by():
            counts[(_period_label(row["day"], scope.period), row["channel"])] += row["n"]
    if raw_since is not None:
        qs = VerificationLog.objects.filter(
            created_at__gte=raw_since, created_at__lt=scope.until, certificate__isnull=False
        )
        if scope.agency_id is not None:
            qs = qs.filter(certificate__application__agency_id=scope.agency_id)
        trunc = PERIODS[scope.period]
        for row in (
            qs.annotate(bucket=trunc("created_at"))
            .values("bucket", "channel")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            counts[(_period_label(row["bucket"], scope.period), row["channel"])] += row["n"]
    rows: list[list[Any]] = [
        [label, VerificationLog.Channel(channel).label, n]
        for (label, channel), n in sorted(counts.items())
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
