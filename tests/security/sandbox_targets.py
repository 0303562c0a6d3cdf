"""Targets for the sandbox's child process in tests: module-level, so that a child can import
them. Each misbehaves in one way a parser could on a hostile file."""

from __future__ import annotations

import os
import resource
import signal


def spin(*args: object) -> None:
    while True:
        pass


def hoard(*args: object) -> bytes:
    chunks = []
    while True:
        chunks.append(b"x" * (64 * 1024 * 1024))


def fail(*args: object) -> None:
    raise ValueError("a parser's bug")


def die(*args: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def limits() -> dict[str, object]:
    return {
        "cpu": resource.getrlimit(resource.RLIMIT_CPU),
        "address_space": resource.getrlimit(resource.RLIMIT_AS),
        "core": resource.getrlimit(resource.RLIMIT_CORE),
        "nice": os.nice(0),
    }


def echo(data: bytes) -> int:
    return len(data)
