"""Keeping the daily roll-ups of review steps, fees and decision times
(applications/models/rollups.py).

Each writer adds to the roll-up in its own transaction, so a figure and the rows it counts
commit or roll back together (core/rollups.py):
- `application_event_record` (applications/events.py) for every review step;
- the capture of a fee (`_taken` in applications/services.py for a card, `wallet_pay_fee` for
  the wallet), a refund to the wallet (`wallet_refund_if_due`) and a tax invoice
  (`_issue` in applications/tax.py);
- `_transition` (applications/workflow.py) for every decision, into the histogram of hours
  from the (latest) submission to the decision that the time-to-decision report reads.

`review_days_count`, `fee_days_count` and `decision_days_count` count the same figures from
the raw rows: the rebuild (`manage.py rollup_reports`, the nightly task) and the tests that
hold the two equal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.rollups import rollup_add_on, rollup_replace

from .models import (
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


def is_review_step(from_status: str, to_status: str) -> bool:
    """A transition into or out of review: only officers (or the system) take these."""
    return Status.UNDER_REVIEW in (from_status, to_status)


def _agency_of(application_id: int) -> int | None:
    return Application.objects.filter(pk=application_id).values_list("agency_id", flat=True).first()


def review_day_add(*, event: ApplicationEvent, agency_id: int | None = None) -> None:
    """Count one review step (an event just written) on its day."""
    if agency_id is None:
        agency_id = _agency_of(event.application_id)
    rollup_add_on(
        ReviewDay,
        when=event.created_at,
        agency_id=agency_id,
        amounts={"count": 1},
        from_status=event.from_status,
        to_status=event.to_status,
        actor_id=event.actor_id or 0,
    )


def decision_hours(submitted: datetime, decided: datetime) -> int:
    """The histogram's bucket of a decision: its time from the submission, rounded up to the
    whole hour (0 for none)."""
    return math.ceil((decided - submitted).total_seconds() / 3600)


def decision_day_add(*, application: Application) -> None:
    """Count one decision (an application just approved or rejected) in the time-to-decision
    histogram of its day."""
    submitted, decided = application.submitted_at, application.decided_at
    if submitted is None or decided is None or decided < submitted:
        return
    if application.status not in DECIDED_STATUSES:
        return
    rollup_add_on(
        DecisionDay,
        when=decided,
        agency_id=application.agency_id,
        amounts={"count": 1},
        hours=decision_hours(submitted, decided),
    )


def percentile(histogram: Sequence[tuple[int, int]], fraction: float) -> float | None:
    """The percentile of a histogram ((value, count), sorted by value) by linear
    interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    total = sum(n for _, n in histogram)
    if not total:
        return None
    rank = fraction * (total - 1)
    below = math.floor(rank)
    low, high = _ranked(histogram, below), _ranked(histogram, math.ceil(rank))
    return low + (high - low) * (rank - below)


def _ranked(histogram: Sequence[tuple[int, int]], rank: int) -> int:
    """The value of the rank-th (from 0) of the histogram's values in order."""
    seen = 0
    for value, n in histogram:
        seen += n
        if rank < seen:
            return value
    raise IndexError(rank)


def _paise(amount: Decimal) -> int:
    return int(amount * 100)


def fee_day_add(
    *,
    agency_id: int | None,
    when: datetime,
    payments: int = 0,
    fees_paise: int = 0,
    refunds_paise: int = 0,
    gst_paise: int = 0,
) -> None:
    amounts = {
        "payments": payments,
        "fees_paise": fees_paise,
        "refunds_paise": refunds_paise,
        "gst_paise": gst_paise,
    }
    rollup_add_on(FeeDay, when=when, agency_id=agency_id, amounts=amounts)


def fee_captured(*, payment: Payment, agency_id: int) -> None:
    """A fee payment just captured (by card or from the wallet)."""
    assert payment.captured_at is not None  # noqa: S101 - the callers have just set it
    fee_day_add(
        agency_id=agency_id,
        when=payment.captured_at,
        payments=1,
        fees_paise=_paise(payment.amount),
    )


def fee_refunded(*, entry: WalletEntry, agency_id: int) -> None:
    """A fee just refunded to the firm's wallet."""
    fee_day_add(agency_id=agency_id, when=entry.created_at, refunds_paise=entry.amount_paise)


def tax_invoice_issued(*, invoice: TaxInvoice) -> None:
    """A document just issued: a tax invoice's GST counts (receipts, bills of supply and
    credit notes do not, as in the report)."""
    if invoice.kind != TaxInvoice.Kind.TAX_INVOICE:
        return
    gst = invoice.cgst_paise + invoice.sgst_paise + invoice.igst_paise
    fee_day_add(agency_id=invoice.agency_id, when=invoice.issued_at, gst_paise=gst)


# ---------------------------------------------------------------------------------------------
# Counting from the raw rows (the rebuild, and the tests' check)
# ---------------------------------------------------------------------------------------------


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def review_days_count(*, since: date, until: date) -> list[ReviewDay]:
    """The ReviewDay rows of [since, until), counted from the events."""
    tz = timezone.get_current_timezone()
    grouped = (
        ApplicationEvent.objects.filter(
            Q(from_status=Status.UNDER_REVIEW) | Q(to_status=Status.UNDER_REVIEW),
            kind=ApplicationEvent.Kind.TRANSITION,
            created_at__gte=_start(since),
            created_at__lt=_start(until),
            application__agency_id__isnull=False,
        )
        .annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day", "application__agency_id", "from_status", "to_status", "actor_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        ReviewDay(
            day=row["day"],
            agency_id=row["application__agency_id"],
            from_status=row["from_status"],
            to_status=row["to_status"],
            actor_id=row["actor_id"] or 0,
            count=row["n"],
        )
        for row in grouped
    ]


def fee_days_count(*, since: date, until: date) -> list[FeeDay]:
    """The FeeDay rows of [since, until), counted from the payments, the wallets' refunds
    and the tax invoices."""
    tz = timezone.get_current_timezone()
    begin, end = _start(since), _start(until)
    days: dict[tuple[date, int], FeeDay] = {}

    def day(on: date, agency_id: int) -> FeeDay:
        if (on, agency_id) not in days:
            days[(on, agency_id)] = FeeDay(day=on, agency_id=agency_id)
        return days[(on, agency_id)]

    for row in (
        Payment.objects.filter(
            state=Payment.State.CAPTURED,
            captured_at__gte=begin,
            captured_at__lt=end,
            application__agency_id__isnull=False,
        )
        .annotate(on=TruncDate("captured_at", tzinfo=tz))
        .values("on", "application__agency_id")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        fees = day(row["on"], row["application__agency_id"])
        fees.payments, fees.fees_paise = row["n"], _paise(row["total"] or Decimal(0))
    for row in (
        WalletEntry.objects.filter(
            kind=WalletEntry.Kind.REFUND,
            created_at__gte=begin,
            created_at__lt=end,
            application__agency_id__isnull=False,
        )
        .annotate(on=TruncDate("created_at", tzinfo=tz))
        .values("on", "application__agency_id")
        .annotate(total=Sum("amount_paise"))
        .order_by()
    ):
        day(row["on"], row["application__agency_id"]).refunds_paise = row["total"] or 0
    for row in (
        TaxInvoice.objects.filter(
            kind=TaxInvoice.Kind.TAX_INVOICE,
            issued_at__gte=begin,
            issued_at__lt=end,
            agency__isnull=False,
        )
        .annotate(on=TruncDate("issued_at", tzinfo=tz))
        .values("on", "agency_id")
        .annotate(gst=Sum(F("cgst_paise") + F("sgst_paise") + F("igst_paise")))
        .order_by()
    ):
        day(row["on"], row["agency_id"]).gst_paise = row["gst"] or 0
    return [days[key] for key in sorted(days)]


def decisions_hours(
    *, since: datetime, until: datetime, agency_id: int | None = None
) -> Iterable[tuple[date, int, int]]:
    """(day, agency id, hours) of each decision in [since, until), from the applications."""
    decisions = Application.objects.filter(
        status__in=DECIDED_STATUSES,
        decided_at__gte=since,
        decided_at__lt=until,
        submitted_at__isnull=False,
        agency__isnull=False,
    ).filter(decided_at__gte=F("submitted_at"))
    if agency_id is not None:
        decisions = decisions.filter(agency_id=agency_id)
    for agency, submitted, decided in decisions.values_list(
        "agency_id", "submitted_at", "decided_at"
    ).iterator(chunk_size=5000):
        if agency is not None and submitted is not None and decided is not None:  # filtered
            yield timezone.localdate(decided), agency, decision_hours(submitted, decided)


def decision_days_count(*, since: date, until: date) -> list[DecisionDay]:
    """The DecisionDay rows of [since, until), counted from the applications."""
    counts: dict[tuple[date, int, int], int] = {}
    for key in decisions_hours(since=_start(since), until=_start(until)):
        counts[key] = counts.get(key, 0) + 1
    return [
        DecisionDay(day=day, agency_id=agency, hours=hours, count=n)
        for (day, agency, hours), n in sorted(counts.items())
    ]


def review_and_fee_days_rebuild(*, since: date, until: date) -> int:
    """Rebuild both roll-ups for the past days [since, until) (today is never rebuilt: its
    rows are being added to); returns the rows written."""
    until = min(until, timezone.localdate())
    if since >= until:
        return 0
    with transaction.atomic():
        written = rollup_replace(
            ReviewDay, since=since, until=until, rows=review_days_count(since=since, until=until)
        )
        written += rollup_replace(
            FeeDay, since=since, until=until, rows=fee_days_count(since=since, until=until)
        )
        written += rollup_replace(
            DecisionDay,
            since=since,
            until=until,
            rows=decision_days_count(since=since, until=until),
        )
    return written
