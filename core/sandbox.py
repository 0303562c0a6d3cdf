"""Run a check of untrusted bytes in a child process with a CPU and memory budget.

A hostile PDF can cost a parser seconds of CPU and hundreds of MB (issue 18: 1.7 million form
fields took 8.3 s and 480 MB per upload). The checks of uploaded files therefore run in a
child that limits itself before it looks at the file: RLIMIT_CPU (the kernel kills it with
SIGXCPU past the budget), RLIMIT_AS (its address space may grow by at most the memory budget
beyond what it inherited; past that, allocations fail with MemoryError), no core dump, and a
lower scheduling priority than the pages. The parent waits for a wall-clock deadline too, and
kills a child that has not answered by then. Whatever goes wrong in the child (killed,
out of memory, an exception) reaches the caller as Unchecked, never as the child's exception.

Children are forked from a multiprocessing forkserver: a fresh, single-threaded interpreter
started on first use (per web process) that has imported the checkers' modules once (see
preload), so that a check costs a fork, not an interpreter start and pyHanko's import (0.6 s).
The child runs without Django set up: a target gets everything it needs (file, trust roots,
limits) as arguments, and must be a module-level function.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.context import ForkServerProcess, set_spawning_popen
from typing import Any

logger = logging.getLogger(__name__)

_PRELOAD: list[str] = []
_MP_PROCESS: Any = multiprocessing.process  # its AuthenticationString is not in the stubs
_START_LOCK = threading.Lock()


class Unchecked(Exception):  # noqa: N818 - reads as the outcome
    """The check did not finish within its budget (or the child failed): nothing is known."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why  # "cpu", "memory", "timeout", "crashed", "error"


class Busy(Exception):  # noqa: N818 - reads as the outcome
    """As many checks of this kind as a process allows are running: this one was not run (the
    caller says so and asks for a retry, rather than hold a web thread waiting)."""


@dataclass(frozen=True)
class Budget:
    cpu_seconds: int
    memory_bytes: int  # growth of the child's address space allowed beyond what it inherits
    wall_seconds: float


@dataclass(frozen=True)
class Ran:
    """A finished check: its value, and the limits the child ran under (for tests and logs)."""

    value: Any
    cpu_limit: int  # RLIMIT_CPU soft limit, seconds of CPU in all
    address_space_limit: int  # RLIMIT_AS, bytes
    inherited_bytes: int  # the child's address space when it set the limit
    peak_rss_bytes: int


def preload(*modules: str) -> None:
    """Have the forkserver import these modules before it forks any child (call from an
    AppConfig.ready(), before the first check starts the server)."""
    for module in modules:
        if module not in _PRELOAD:
            _PRELOAD.append(module)


def _forget_the_parents_forkserver() -> None:
    """In a forked process (a Celery pool child, a gunicorn worker) the forkserver its parent
    may have started is not its own: multiprocessing would wait on another's child and fail.
    It starts one of its own on its first check instead."""
    server: Any = forkserver._forkserver  # the module's one server (private, untyped)
    if server._forkserver_alive_fd is not None:
        with contextlib.suppress(OSError):
            os.close(server._forkserver_alive_fd)  # the parent's copy keeps it alive
    server._forkserver_address = None
    server._forkserver_alive_fd = None
    server._forkserver_pid = None
    server._lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_the_parents_forkserver)


@functools.cache
def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))
    return context


class _Popen(popen_forkserver.Popen):
    """The forkserver's Popen, except that the child does not run the parent's main script
    again. multiprocessing re-runs it in every child (as __mp_main__) so that functions defined
    there can be found; the forkserver was meant to do it once, but Python 3.11 never passes it
    the path. Under gunicorn's or pytest's script that is an import of 0.6 s per check; targets
    here are module-level functions of importable modules, so the child has no use for it.
    The rest is popen_forkserver.Popen._launch as it is in 3.11.
    """

    def _launch(self, process_obj: Any) -> None:
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        if "authkey" in prep_data:  # billiard's in a Celery worker: see _Process
            key = bytes(prep_data["authkey"])
            prep_data["authkey"] = _MP_PROCESS.AuthenticationString(key)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]  # the private attribute multiprocessing.popen_forkserver sets
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))  # type: ignore[attr-defined]  # typeshed omits multiprocessing.util.close_fds
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(ForkServerProcess):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # In a Celery worker the current process is billiard's, and so is the key this one
        # copied from it: a type the standard library's pickler refuses to send to the child.
        config = vars(self)["_config"]
        config["authkey"] = _MP_PROCESS.AuthenticationString(bytes(config["authkey"]))

    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:  # noqa: N802 - multiprocessing's name
        return _Popen(process_obj)


def _address_space() -> int:
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _limit_self(budget: Budget) -> tuple[int, int, int]:
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(used.ru_utime + used.ru_stime) + budget.cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    inherited = _address_space()
    address_space = inherited + budget.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(10)  # the pages come first
    return cpu, address_space, inherited


def _child(
    connection: Any, budget: Budget, target: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    cpu, address_space, inherited = _limit_self(budget)
    try:
        value = target(*args)
        outcome: tuple[str, Any] = ("ok", value)
    except MemoryError:
        outcome = ("memory", None)
    except Exception as exc:  # the file's fault or the checker's: either way, unchecked
        outcome = ("error", f"{type(exc).__name__}: {exc}"[:300])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        connection.send((*outcome, cpu, address_space, inherited, peak))
    except MemoryError:
        connection.send(("memory", None, cpu, address_space, inherited, peak))
    connection.close()


@contextlib.contextmanager
def _parent_allowed() -> Iterator[None]:
    """Let a daemonic process start the child. Celery's prefork workers (where uploads are
    checked, applications/tasks.py) are daemonic, and multiprocessing refuses children to a
    daemon lest they outlive it; the check's child cannot: it is killed at its deadline and
    joined before run() returns. Celery's pool children run one task at a time (no thread sees
    the flag lifted)."""
    current: Any = multiprocessing.current_process()
    daemonic = bool(current._config.get("daemon"))
    current._config["daemon"] = False
    try:
        yield
    finally:
        if daemonic:
            current._config["daemon"] = True


def run(target: Callable[..., Any], *args: Any, budget: Budget) -> Ran:
    """target(*args) in a limited child; raises Unchecked if it does not finish within budget."""
    with _START_LOCK:  # the first call starts the forkserver; others wait for it
        context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = _Process(target=_child, args=(sender, budget, target, args), daemon=True)
    try:
        with _parent_allowed():
            process.start()
    except OSError as exc:
        logger.error("The upload check could not start its child process: %s", exc)
        raise Unchecked("crashed") from exc
    sender.close()
    try:
        if not receiver.poll(budget.wall_seconds):
            raise Unchecked("timeout")
        status, value, cpu, address_space, inherited, peak = receiver.recv()
    except (EOFError, OSError) as exc:  # the child died without answering (SIGXCPU, SIGKILL)
        process.join(1)
        why = "cpu" if process.exitcode == -signal.SIGXCPU else "crashed"
        raise Unchecked(why) from exc
    finally:
        if process.is_alive():
            process.kill()
        process.join(1)
        receiver.close()
    if status != "ok":
        if status == "error":
            logger.info("The upload check failed in its child: %s", value)
        raise Unchecked(status)
    return Ran(value, cpu, address_space, inherited, peak)
