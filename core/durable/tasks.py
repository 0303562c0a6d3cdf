"""Periodic tasks of the outbox (scheduled in coo_portal/celery.py)."""

from __future__ import annotations

from celery import shared_task

from .outbox import outbox_drain
from .ratelimit import rate_counters_purge


@shared_task(name="durable.outbox_drain", ignore_result=True)
def outbox_drain_task() -> int:
    """Publish what waited for the broker; forget old counters."""
    rate_counters_purge()
    return outbox_drain()
