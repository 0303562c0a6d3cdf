"""Races: run one action in many threads released at the same moment (PostgreSQL tests)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

# Races under real concurrency need PostgreSQL's row locks; on SQLite these tests are skipped.
needs_row_locks = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=f"row-lock races need PostgreSQL (DATABASE_URL); this run uses {connection.vendor}",
)


def run_together(count: int, action: Callable[[], object], *, timeout: float = 120) -> list:
    """`action`'s results from `count` threads that start it together, in the order they
    finished. A thread's exception is returned in its place, so that it reaches the test's
    assertions instead of vanishing with the thread. Each thread closes its own database
    connections."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            result = action()
        except Exception as exc:
            result = exc
        finally:
            connections.close_all()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
