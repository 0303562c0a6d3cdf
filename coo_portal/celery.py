"""The Celery app. Configuration lives in settings (CELERY_* names); the periodic tasks that
celery beat sends are here. Run beat once per installation: `make beat`, or embedded in one
worker with `celery worker -B` (the development stack and prod-smoke do that)."""

from __future__ import annotations

import logging.config
import os
import socket
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, setup_logging, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")

app = Celery("coo_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule(sender: Celery, **kwargs: Any) -> None:
    """The periodic tasks, at intervals read from settings once Celery is configured."""
    from django.conf import settings

    # Each expires before the next is due: a beat left running while the broker was down
    # must not flood the queue with copies when it returns.
    drain, sweep = settings.OUTBOX_DRAIN_SECONDS, settings.ISSUANCE_SWEEP_SECONDS
    log_sweep = settings.VERIFY_LOG_SWEEP_SECONDS
    sender.add_periodic_task(
        drain, sender.signature("durable.outbox_drain", expires=drain), name="outbox drain"
    )
    sender.add_periodic_task(
        sweep,
        sender.signature("certificates.issuance_sweep", expires=sweep),
        name="stuck issuance sweep",
    )
    archive = settings.ARCHIVE_TIMESTAMP_SECONDS
    sender.add_periodic_task(
        archive,
        sender.signature("certificates.archive_timestamps", expires=archive),
        name="archive timestamps",
    )
    # Lookups schedule the log flush themselves; this one writes what a dead flusher left.
    sender.add_periodic_task(
        log_sweep,
        sender.signature("verification.tasks.verification_log_flush", expires=log_sweep),
        name="verification log sweep",
    )
    # Payments whose return and notification were lost: asked about at the gateway.
    reconcile = settings.PAYMENT_RECONCILE_SECONDS
    sender.add_periodic_task(
        reconcile,
        sender.signature("applications.payments_reconcile", expires=reconcile),
        name="payment reconciler",
    )
    # The reports' daily roll-up of the last days (review/rollups.py): catches bulk writes.
    sender.add_periodic_task(
        crontab(hour=0, minute=20),
        sender.signature("review.rollup_recent", expires=3600),
        name="report roll-ups",
    )
    heads = settings.TRANSPARENCY_HEAD_SECONDS
    sender.add_periodic_task(
        heads,
        sender.signature("verification.tasks.transparency_heads_publish", expires=heads),
        name="transparency log heads",
    )
    # Verification requests near or past their deadline (each reminded at most once a day).
    sender.add_periodic_task(
        3600,
        sender.signature("verification.tasks.verification_requests_remind", expires=3600),
        name="verification request reminders",
    )


@app.task(name="coo_portal.ping", ignore_result=False)
def ping(value: str) -> str:
    """Echo a value back; used by readiness checks and by the test that drives a real worker."""
    return f"pong:{value}"


@worker_ready.connect
def _worker_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    from django.conf import settings

    from . import heartbeat

    if settings.REDIS_URL:
        heartbeat.start(sender.hostname, "worker")


@beat_init.connect
def _beat_heartbeat(sender: Any = None, **kwargs: Any) -> None:
    from django.conf import settings

    from . import heartbeat

    if settings.REDIS_URL:
        heartbeat.start(f"beat@{socket.gethostname()}", "beat")


@setup_logging.connect
def _logging_as_django_does(**kwargs: Any) -> None:
    """Workers and beat log as the web processes do (settings.LOGGING: JSON lines with the
    request id), instead of Celery's own format. Connected, this replaces Celery's set-up;
    the level is LOG_LEVEL."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
