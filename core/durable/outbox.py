"""The task outbox: Celery tasks that survive a broker outage.

A status change and the task it calls for are written in one transaction
(`outbox_enqueue`): the task is an OutboxMessage row. After commit the row is published at
once if the broker answers (within the short socket timeouts of settings' Celery section);
otherwise the request goes on unharmed and the periodic drain (`outbox_drain`, run by
celery beat every OUTBOX_DRAIN_SECONDS) publishes it when the broker is back.

Sent once: only the process that claims a row (one UPDATE ... WHERE sent_at IS NULL AND the
claim is free) publishes it, so the on-commit publish and a drain never both send it. A
process that dies between claiming and publishing leaves a claim that expires after
OUTBOX_CLAIM_SECONDS and the drain takes it; one that dies after publishing and before
marking it sent (a few milliseconds) would publish it once more: the tasks behind it are
idempotent or, for an email or SMS, a rare duplicate beats a lost message.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from celery import Task, current_app
from celery.exceptions import NotRegistered
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# What an unreachable broker raises on publish: kombu wraps most connection errors in
# OperationalError; a refused or timed-out socket may surface as OSError or a RedisError.
BROKER_DOWN = (OperationalError, RedisError, OSError)
# After a failed publish this process leaves new messages to the drain for this long, so a
# request that queues three messages while the broker is down pays for one failure, not three.
BROKER_PAUSE_SECONDS = 5.0
_broker_down_until = 0.0


def outbox_enqueue(*, task: str, args: list[Any]) -> OutboxMessage:
    """Record a task (by its registered name; args must be JSON) and publish it after the
    surrounding transaction commits. A rollback takes the row with it: nothing is sent."""
    _task(task)  # a misspelt name fails here, in the request, not later in the drain
    message = OutboxMessage.objects.create(task=task, args=args)
    transaction.on_commit(lambda: outbox_publish(message=message))
    return message


def _task(name: str) -> Task[Any, Any]:
    try:
        return current_app.tasks[name]
    except NotRegistered:
        # Apps' tasks modules are imported lazily (autodiscover_tasks); load them once.
        current_app.loader.import_default_modules()
        return current_app.tasks[name]


def _claim(message_id: int) -> bool:
    now = timezone.now()
    expired = now - timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=expired))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def _send(message: OutboxMessage) -> None:
    task = _task(message.task)
    # retry=False: a broker that does not answer is the drain's business, not the request's
    # (kombu would otherwise retry the connection for seconds while the page waits).
    task.apply_async(args=message.args, retry=False)
    OutboxMessage.objects.filter(pk=message.pk).update(
        sent_at=timezone.now(), args=[], last_error=""
    )


def _release(message: OutboxMessage, exc: BaseException) -> None:
    global _broker_down_until  # one pause per process, shared by its threads
    _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_at=None, last_error=repr(exc)[:2000])
    logger.warning("Broker unavailable: %s #%s waits for the drain", message.task, message.pk)


def outbox_publish(*, message: OutboxMessage) -> bool:
    """Publish one message unless another process holds it; True once the broker took it.

    With eager Celery (the embedded default and tests) publishing runs the task here, and its
    errors propagate as they would without the outbox. Within BROKER_PAUSE_SECONDS of a
    failed publish it leaves the message to the drain without trying."""
    eager = current_app.conf.task_always_eager
    if (not eager and time.monotonic() < _broker_down_until) or not _claim(message.pk):
        return False
    try:
        _send(message)
    except BROKER_DOWN as exc:
        if eager:
            raise
        _release(message, exc)
        return False
    return True


def outbox_drain(*, limit: int = 500) -> int:
    """Publish waiting messages, oldest first, stopping at the first broker failure (the
    rest would fail the same way). Forgets sent rows after OUTBOX_KEEP_DAYS. Returns how
    many were published."""
    now = timezone.now()
    expired = now - timedelta(seconds=settings.OUTBOX_CLAIM_SECONDS)
    waiting = (
        OutboxMessage.objects.filter(sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=expired))
        .order_by("created_at", "pk")[:limit]
    )
    published = 0
    for message in waiting:
        if not _claim(message.pk):
            continue  # published meanwhile by its own request
        try:
            _send(message)
        except BROKER_DOWN as exc:
            _release(message, exc)
            break
        published += 1
    OutboxMessage.objects.filter(
        sent_at__lt=now - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    ).delete()
    return published
