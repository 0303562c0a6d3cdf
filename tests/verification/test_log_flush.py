"""The lookup log's queue in Redis and its flusher (verification/tasks.py): no row is lost
when a flusher dies, and none is written twice.

Needs Redis (skips without REDIS_URL; CI runs it in its PostgreSQL + Redis pass).
"""

from __future__ import annotations

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from coo_portal.celery import app as celery_app
from verification import store, tasks
from verification.models import VerificationLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_queue(settings, monkeypatch):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: without Redis the log is written in the request")
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    redis = store._client()
    redis.delete(*store._log_keys())
    yield
    redis.delete(*store._log_keys())


def queue_rows(count: int, first: int = 0) -> None:
    for n in range(first, first + count):
        store.log_push(
            certificate_id=None,
            row={
                "channel": "api",
                "outcome": "not_found",
                "client_hash": f"{n:064x}",
                "created_at": f"2026-03-04T12:00:{n:02}.000123+00:00",
            },
        )


def test_a_flusher_that_dies_before_its_insert_leaves_the_rows_for_the_next(log_queue, monkeypatch):
    queue_rows(3)
    with monkeypatch.context() as patched:
        # The task's soft time limit, raised between taking the batch and writing it.
        patched.setattr(tasks, "_insert", _raise_time_limit)
        with pytest.raises(SoftTimeLimitExceeded):
            tasks.verification_log_flush()
    assert VerificationLog.objects.count() == 0
    assert store.log_length() == 3

    assert tasks.verification_log_flush() == 3
    assert VerificationLog.objects.count() == 3
    assert store.log_length() == 0


def test_a_flusher_that_dies_after_its_insert_writes_nothing_twice(log_queue, monkeypatch):
    queue_rows(3)
    with monkeypatch.context() as patched:
        patched.setattr(store, "log_taken", _raise_time_limit)
        with pytest.raises(SoftTimeLimitExceeded):
            tasks.verification_log_flush()
    assert VerificationLog.objects.count() == 3
    queue_rows(1, first=3)  # a lookup meanwhile

    assert tasks.verification_log_flush() == 1  # the batch is found written: only the new row
    assert sorted(VerificationLog.objects.values_list("client_hash", flat=True)) == [
        f"{n:064x}" for n in range(4)
    ]
    assert store.log_length() == 0


def test_one_flusher_at_a_time(log_queue):
    queue_rows(2)
    holder = store.log_lease(60)
    assert holder is not None
    assert tasks.verification_log_flush() == 0  # the holder writes them
    assert store.log_length() == 2

    store.log_drop_lease(token=holder)
    assert tasks.verification_log_flush() == 2
    assert store.log_lease(60) is not None  # the flusher gave the lease up when done


def test_a_flusher_stops_after_its_budget_and_queues_the_next(log_queue, monkeypatch, settings):
    settings.VERIFY_LOG_FLUSH_BUDGET = 0
    monkeypatch.setattr(tasks, "FLUSH_BATCH", 2)
    queued = []
    monkeypatch.setattr(
        tasks.verification_log_flush, "apply_async", lambda *a, **kw: queued.append(kw)
    )
    queue_rows(3)

    assert tasks.verification_log_flush() == 2
    assert queued == [{}]
    assert store.log_length() == 1
    assert tasks.verification_log_flush() == 1  # the lease was given up for the next one


def test_the_sweep_is_scheduled(settings):
    schedule = celery_app.conf.beat_schedule["verification log sweep"]
    assert schedule["task"] == "verification.tasks.verification_log_flush"
    assert schedule["schedule"] == settings.VERIFY_LOG_SWEEP_SECONDS


def _raise_time_limit(*args: object, **kwargs: object) -> None:
    raise SoftTimeLimitExceeded()
