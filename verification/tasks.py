"""Celery tasks of the verification app."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from redis.exceptions import RedisError

from . import requests, store, subscriptions, transparency
from .models import VerificationLog
from .rollups import lookup_days_add
from .webhooks import WebhookDeliveryError

FLUSH_BATCH = 1000
_COLUMNS = ("certificate_id", "channel", "outcome", "client_hash", "created_at")


@shared_task(
    autoretry_for=(DatabaseError, RedisError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=None,
    ignore_result=True,
)
def verification_log_flush() -> int:
    """Write the queued lookup log rows to the database, a batch at a time; returns how many.

    One flusher at a time (it holds the queue's lease; another one returns at once: the holder
    does not give the lease up while rows are left). Each batch is one INSERT, so it is written
    whole or not at all, and it stays in Redis until it is written (store._TAKE): a flusher
    that fails (the task retries) or dies (a time limit, a killed worker) leaves it for the
    next flusher, which writes it once. A flusher stops after VERIFY_LOG_FLUSH_BUDGET seconds,
    well within the task's time limits, and queues the next one if rows are left: under a
    steady load the queue may never be empty.
    """
    lease_seconds = settings.CELERY_TASK_TIME_LIMIT
    token = store.log_lease(lease_seconds)
    if token is None:
        return 0
    # As many rows as one statement may carry on this database (SQLite limits parameters).
    size = connection.ops.bulk_batch_size(_COLUMNS, [None] * FLUSH_BATCH) or FLUSH_BATCH
    deadline = time.monotonic() + settings.VERIFY_LOG_FLUSH_BUDGET
    written = 0
    try:
        while True:
            batch = store.log_take(token=token, limit=size, lease_seconds=lease_seconds)
            if not batch.rows:
                if store.log_release(token=token):
                    return written
                continue
            if not (batch.unconfirmed and _written_already(batch.rows)):
                _insert(batch.rows)
                written += len(batch.rows)
            store.log_taken(token=token)
            if time.monotonic() > deadline:
                break
    except BaseException:
        # The next flusher (this task's retry, or any other) takes over at once.
        store.log_drop_lease(token=token)
        raise
    store.log_drop_lease(token=token)
    verification_log_flush.apply_async()
    return written


def _written_already(rows: list[dict[str, Any]]) -> bool:
    """Whether a batch a dead flusher took is in the database. It was one INSERT, so it is
    there whole or not at all: its first row tells (a row matches only itself: the same
    client, channel, outcome and certificate at the same microsecond)."""
    first = rows[0]
    return VerificationLog.objects.filter(
        certificate_id=first["certificate_id"],
        channel=first["channel"],
        outcome=first["outcome"],
        client_hash=first["client_hash"],
        created_at=datetime.fromisoformat(first["created_at"]),
    ).exists()


def _insert(rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT. A queued row is clean already, and bulk_create's preparation of
    each value cost three times the rest of the flush (about 30 us a row against 10)."""
    table = connection.ops.quote_name(VerificationLog._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(name) for name in _COLUMNS)
    one = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for row in rows:
        created_at = adapt(datetime.fromisoformat(row["created_at"]))
        params += [row["certificate_id"], row["channel"], row["outcome"]]
        params += [row["client_hash"], created_at]
    values = ", ".join([one] * len(rows))
    with transaction.atomic(savepoint=False):  # the rows and the reports' daily counts of them
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}", params)  # noqa: S608
        lookup_days_add(
            (row["certificate_id"], row["channel"], datetime.fromisoformat(row["created_at"]))
            for row in rows
        )


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3, ignore_result=True)
def transparency_heads_publish() -> int:
    """Sign a tree head for every agency log that grew (celery beat); how many were signed."""
    return len(transparency.heads_publish())


@shared_task(
    name="verification.deliver_status_change",
    autoretry_for=(WebhookDeliveryError, DatabaseError),
    retry_backoff=True,
    retry_backoff_max=3600,
    max_retries=8,
    ignore_result=True,
)
def deliver_status_change(subscription_id: int, event: str, at: str) -> bool:
    """Send one certificate change to one subscriber (verification/subscriptions.py)."""
    return subscriptions.delivery_send(subscription_id=subscription_id, event=event, at=at)


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, max_retries=3, ignore_result=True)
def verification_requests_remind() -> int:
    """Remind agencies (and exporters) of verification requests near or past their deadline
    (celery beat, hourly; each request at most once a day); how many were reminded."""
    return len(requests.requests_remind())
