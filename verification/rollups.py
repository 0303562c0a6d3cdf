"""Keeping the daily roll-up of lookups (verification.models.LookupDay).

Every writer of the lookup log (the batch flush of the rows queued in Redis, tasks._insert;
the in-process buffer without Redis, logbuffer) adds its rows' counts in the transaction that
inserts them (core/rollups.py), so a batch and its counts are written whole or not at all.
`lookup_days_count` counts the same figures from the log: the rebuild (`manage.py
rollup_reports`, the nightly task) and the tests that hold the two equal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from certificates.models import Certificate
from core.rollups import rollup_add, rollup_replace

from .models import LookupDay, VerificationLog


def lookup_days_add(rows: Iterable[tuple[int | None, str, datetime]]) -> None:
    """Count lookups just written: (certificate id, channel, when) each. A lookup of a number
    not found has no certificate, and no agency: not counted, as in the report."""
    found = [(c, channel, when) for c, channel, when in rows if c is not None]
    if not found:
        return
    agencies = dict(
        Certificate.objects.filter(pk__in={row[0] for row in found}).values_list(
            "pk", "application__agency_id"
        )
    )
    counts = Counter(
        (timezone.localdate(when), agencies[certificate_id], channel)
        for certificate_id, channel, when in found
        if agencies.get(certificate_id) is not None
    )
    rollup_add(
        LookupDay,
        (
            ({"day": day, "agency": agency_id, "channel": channel}, {"count": n})
            for (day, agency_id, channel), n in counts.items()
        ),
    )


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def lookup_days_count(*, since: date, until: date) -> list[LookupDay]:
    """The LookupDay rows of [since, until), counted from the log."""
    grouped = (
        VerificationLog.objects.filter(
            created_at__gte=_start(since),
            created_at__lt=_start(until),
            certificate__isnull=False,
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "certificate__application__agency_id", "channel")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [
        LookupDay(
            day=row["day"],
            agency_id=row["certificate__application__agency_id"],
            channel=row["channel"],
            count=row["n"],
        )
        for row in grouped
    ]


def lookup_days_rebuild(*, since: date, until: date) -> int:
    """Rebuild the roll-up for the past days [since, until) (today's rows are being added
    to: never rebuilt); returns the rows written."""
    until = min(until, timezone.localdate())
    if since >= until:
        return 0
    with transaction.atomic():
        rows = lookup_days_count(since=since, until=until)
        return rollup_replace(LookupDay, since=since, until=until, rows=rows)
