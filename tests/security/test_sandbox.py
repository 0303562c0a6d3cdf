"""core/sandbox.py: a check in a child held to its CPU and memory budget.

The stated bound: the child's address space may grow by at most Budget.memory_bytes (256 MiB by
default) beyond what it inherited from the forkserver, and it may use at most cpu_seconds of
CPU; the web process waits at most wall_seconds. Whatever the child does, the caller gets a
value or Unchecked.
"""

from __future__ import annotations

import os
import resource
import time

import billiard
import pytest

from core import sandbox
from tests.security import sandbox_targets

BUDGET = sandbox.Budget(cpu_seconds=1, memory_bytes=256 * 1024 * 1024, wall_seconds=3)


def test_the_child_runs_under_the_stated_limits_and_answers():
    ran = sandbox.run(sandbox_targets.limits, budget=BUDGET)
    limits = ran.value

    assert limits["address_space"] == (ran.address_space_limit,) * 2
    assert ran.address_space_limit == ran.inherited_bytes + BUDGET.memory_bytes
    assert limits["cpu"][0] == ran.cpu_limit <= 2
    assert limits["core"] == (0, 0)
    assert limits["nice"] >= 10
    # The web process itself is not limited.
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY


def test_a_large_argument_reaches_the_child():
    data = os.urandom(10 * 1024 * 1024)
    assert sandbox.run(sandbox_targets.echo, data, budget=BUDGET).value == len(data)


def test_a_child_that_spins_is_stopped_within_its_budget():
    started = time.monotonic()
    with pytest.raises(sandbox.Unchecked) as refused:
        sandbox.run(sandbox_targets.spin, budget=BUDGET)
    assert refused.value.why in {"cpu", "timeout"}  # SIGXCPU, or the wall clock on a busy host
    assert time.monotonic() - started < BUDGET.wall_seconds + 1


def test_a_child_that_hoards_memory_is_refused_at_its_bound():
    with pytest.raises(sandbox.Unchecked) as refused:
        sandbox.run(sandbox_targets.hoard, budget=BUDGET)
    assert refused.value.why == "memory"


def test_a_child_that_fails_or_dies_is_unchecked_not_an_error_of_the_caller():
    with pytest.raises(sandbox.Unchecked) as failed:
        sandbox.run(sandbox_targets.fail, budget=BUDGET)
    assert failed.value.why == "error"
    with pytest.raises(sandbox.Unchecked) as died:
        sandbox.run(sandbox_targets.die, budget=BUDGET)
    assert died.value.why == "crashed"


def test_checks_from_several_threads_at_once_each_get_their_own_answer():
    # gunicorn's threaded workers check two uploads at a time.
    from concurrent.futures import ThreadPoolExecutor

    sizes = [1, 10, 100, 1000, 10_000, 100_000]
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(
            pool.map(lambda n: sandbox.run(sandbox_targets.echo, b"x" * n, budget=BUDGET), sizes)
        )
    assert [ran.value for ran in answers] == sizes


def _in_a_celery_pool_child(results) -> None:
    """What a Celery prefork worker's child is: a daemonic billiard process."""
    try:
        outcome = sandbox.run(sandbox_targets.echo, b"12345", budget=BUDGET).value
    except Exception as exc:
        outcome = repr(exc)
    results.put(outcome)


def test_a_celery_worker_child_can_run_the_check():
    """Uploads are checked on the worker (applications/tasks.py), whose pool children are
    daemonic billiard processes: multiprocessing refused them a child, and its pickler
    billiard's process key."""
    results = billiard.Queue()
    child = billiard.Process(target=_in_a_celery_pool_child, args=(results,), daemon=True)
    child.start()
    outcome = results.get(timeout=60)
    child.join(10)
    assert outcome == 5
