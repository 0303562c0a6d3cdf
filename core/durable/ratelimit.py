"""A fixed-window counter in the database, for limits that must hold while Redis is down.

One statement per hit (INSERT ... ON CONFLICT DO UPDATE ... RETURNING, which PostgreSQL and
SQLite 3.35+ both speak), so concurrent hits are all counted.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from .models import RateCounter


def rate_counter_hit(*, key: str, period: int) -> int:
    """Count one hit on `key` in the current window of `period` seconds; returns the count
    so far in that window (1 for the first hit). The caller compares it with its limit."""
    window = int(time.time()) // period
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    expires_at = timezone.now() + timedelta(seconds=period)
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} ("key", "count", "expires_at") VALUES (%s, 1, %s) '  # noqa: S608 - the table name is ours
            f'ON CONFLICT ("key") DO UPDATE SET "count" = {table}."count" + 1 RETURNING "count"',
            [f"{key}:{window}"[:200], expires_at],
        )
        return int(cursor.fetchone()[0])


def rate_counters_purge() -> int:
    """Forget counters of windows that have ended."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
