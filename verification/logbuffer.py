"""The lookup log without Redis: rows kept in the process and written after the response.

With Redis the log rows are queued there and written in batches by a Celery task
(verification/store.py, tasks.verification_log_flush). Without it (the embedded default, or
while Redis is down) a lookup made during a request no longer INSERTs on the request path: its
row is kept in this process and written, one multi-row INSERT for all the rows kept, after the
response has been handed to the server (Django's request_finished), once
VERIFY_LOG_BUFFER_ROWS rows are kept or the oldest is VERIFY_LOG_BUFFER_SECONDS old; a timer
thread writes what a quiet process still holds after that long, and the process writes what is
left when it exits normally. What a process killed outright (SIGKILL, a power cut) still holds
is lost: at most VERIFY_LOG_BUFFER_ROWS rows or VERIFY_LOG_BUFFER_SECONDS seconds of lookups.
VERIFY_LOG_BUFFER_ROWS=0 writes each row at once, as before. Outside a request (a command, a
task) rows are written at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, connection, transaction

from .models import VerificationLog
from .rollups import lookup_days_add

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_rows: list[VerificationLog] = []
_oldest: float | None = None
_owner = os.getpid()  # rows kept before a fork belong to the parent, not to its children
_timer: threading.Timer | None = None
_local = threading.local()


def _in_request() -> bool:
    return bool(getattr(_local, "in_request", False))


def add(*, certificate_id: int | None, row: dict[str, str]) -> None:
    """Keep one log row (written after the response), or write it now outside a request."""
    entry = VerificationLog(
        certificate_id=certificate_id,
        channel=row["channel"],
        outcome=row["outcome"],
        client_hash=row["client_hash"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )
    if settings.VERIFY_LOG_BUFFER_ROWS <= 0 or not _in_request():
        _write_now([entry])
        return
    global _oldest, _owner
    with _lock:
        if _owner != os.getpid():
            _rows.clear()
            _owner = os.getpid()
        if not _rows:
            _oldest = time.monotonic()
        _rows.append(entry)


def kept() -> int:
    """How many rows this process holds, not yet written."""
    with _lock:
        return len(_rows) if _owner == os.getpid() else 0


def _take(*, due_only: bool) -> list[VerificationLog]:
    global _oldest
    with _lock:
        if _owner != os.getpid() or not _rows:
            return []
        age = time.monotonic() - (_oldest or 0.0)
        if due_only and not (
            len(_rows) >= settings.VERIFY_LOG_BUFFER_ROWS
            or age >= settings.VERIFY_LOG_BUFFER_SECONDS
        ):
            return []
        taken = _rows[:]
        _rows.clear()
        _oldest = None
        return taken


def _write(rows: list[VerificationLog]) -> None:
    if not rows:
        return
    try:
        _write_now(rows)
    except DatabaseError:
        # Kept for the next flush rather than lost; logged so that a failing database is seen.
        logger.exception("The lookup log could not be written: %d rows kept for later", len(rows))
        global _oldest
        with _lock:
            _rows[:0] = rows
            _oldest = _oldest or time.monotonic()


def _write_now(rows: list[VerificationLog]) -> None:
    """One INSERT, and the reports' daily counts of the same rows, in one transaction (the
    caller's, if it has one: no savepoint, as a lone INSERT had none)."""
    with transaction.atomic(savepoint=False):
        VerificationLog.objects.bulk_create(rows)
        lookup_days_add((row.certificate_id, row.channel, row.created_at) for row in rows)


def flush(*, due_only: bool = False) -> int:
    """Write the kept rows (only if due, with `due_only`) in one INSERT; returns how many."""
    rows = _take(due_only=due_only)
    _write(rows)
    if rows:
        _disarm_timer()
    return len(rows)


def _disarm_timer() -> None:
    """Nothing left to write: the timer armed for the rows just written is not needed."""
    global _timer
    with _lock:
        if _timer is not None and not _rows and _timer is not threading.current_thread():
            _timer.cancel()
            _timer = None


def _timer_flush() -> None:
    global _timer
    with _lock:
        _timer = None
    try:
        flush()
    finally:
        close_old_connections()
        connection.close()  # this thread's own connection: not kept by a thread about to end


def _arm_timer() -> None:
    """A quiet process writes what it holds VERIFY_LOG_BUFFER_SECONDS after the response."""
    global _timer
    with _lock:
        if _timer is not None or not _rows or _owner != os.getpid():
            return
        _timer = threading.Timer(settings.VERIFY_LOG_BUFFER_SECONDS, _timer_flush)
        _timer.daemon = True
        _timer.start()


def on_request_started(sender: object, **kwargs: Any) -> None:
    _local.in_request = True


def on_request_finished(sender: object, **kwargs: Any) -> None:
    """After the response: write the kept rows if enough are kept or the oldest is old."""
    _local.in_request = False
    flush(due_only=True)
    _arm_timer()


def connect() -> None:
    request_started.connect(on_request_started, dispatch_uid="verification-logbuffer-start")
    request_finished.connect(on_request_finished, dispatch_uid="verification-logbuffer-finish")
    atexit.register(_exit_flush)


def _exit_flush() -> None:
    try:
        flush()
    except Exception:  # the interpreter is going away: say so, do not hide it
        logger.exception("The lookup log could not be written at exit")
