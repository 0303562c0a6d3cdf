"""What every bench prints first and the smoke mode they share (issue 34).

A figure is worth only as much as what can be said of the run that gave it: which code, which
command, how busy the machine was and which state the bench started from. `begin()` prints
those; `fresh_redis()` empties the bench's own Redis database and says so; `--smoke` runs a
bench at tiny sizes in seconds, so that the suite (tests/bench) notices a bench that no longer
runs. A smoke run's figures mean nothing and none is asserted.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Redis databases the project uses for other things: a bench never empties them.
_NOT_A_BENCH_DB = {0, 3, 4}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def begin(state: str) -> None:
    """Print the commit, the command, the time, the load average and the starting state."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT).as_posix() if script.is_relative_to(ROOT) else str(script)
    command = shlex.join([shown, *sys.argv[1:]])
    print(f"commit: {_commit()}")
    print(f"command: python {command}")
    print(f"started: {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, load average {load_average()}")
    print(f"state: {state}")


def end() -> None:
    print(f"load average at the end: {load_average()}")


def fresh_redis(url: str) -> str:
    """Empty the bench's own Redis database (never one the project uses elsewhere)."""
    import redis

    client = redis.Redis.from_url(url)
    db = int(client.connection_pool.connection_kwargs.get("db", 0))
    if db in _NOT_A_BENCH_DB:
        raise SystemExit(
            f"REDIS_URL points at Redis db {db}, which the project uses elsewhere: give the "
            "bench a database of its own (e.g. redis://127.0.0.1:6379/15)"
        )
    client.flushdb()
    return f"Redis db {db} emptied"


def add_smoke(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, a few seconds: shows the bench still runs (its figures mean nothing)",
    )


def ensure_database(url: str) -> None:
    """Create the bench's own PostgreSQL database if it is missing (SQLite needs nothing)."""
    if not url.startswith("postgres"):
        return
    import psycopg2
    from psycopg2 import sql

    base, _, name = url.rpartition("/")
    connection = psycopg2.connect(f"{base}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()


def fresh_database(url: str) -> str:
    """Drop and create the bench's own PostgreSQL database (a bench that files or issues must
    not start from an earlier run's rows); SQLite needs nothing. Returns what it did."""
    if not url.startswith("postgres"):
        return "a new SQLite database"
    import psycopg2
    from psycopg2 import sql

    base, _, name = url.rpartition("/")
    connection = psycopg2.connect(f"{base}/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.close()
    return f"PostgreSQL database {name} dropped and created afresh"
