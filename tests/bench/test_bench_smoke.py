"""Every bench still runs on today's code (issue 34): each in its smoke mode, at tiny sizes.

No figure of a smoke run is asserted (timings belong to bench/README, from a quiet sitting);
what is asserted is that the bench ran to its end and printed where it started from. The
benches that need PostgreSQL (and Redis) run in CI's PostgreSQL + Redis pass, each on a
database of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench import sitting

ROOT = Path(__file__).resolve().parent.parent.parent
# The suite's own environment must not leak into a bench: it sets up its own.
_SUITE_ONLY = (
    "DJANGO_SETTINGS_MODULE",
    "TESTING",
    "DATABASE_URL",
    "REDIS_URL",
    "VAR_DIR",
    "SECRET_KEY",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
)


def _postgres_url(name: str) -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("this bench needs PostgreSQL (DATABASE_URL): CI's second pass runs it")
    host, port, user = db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["USER"] or "postgres"
    url = f"postgres://{user}@{host}:{port}/{name}"
    # A smoke run starts from nothing: a database an earlier checkout migrated (a migration
    # since renamed or renumbered) would fail this one's migrate, whatever the bench does.
    sitting.fresh_database(url)
    return url


def _redis_url() -> str:
    if not settings.REDIS_URL:
        pytest.skip("this bench needs Redis (REDIS_URL): CI's second pass runs it")
    base = settings.REDIS_URL.rsplit("/", 1)[0]
    return f"{base}/15"  # a database of the benches' own, emptied by each


def run_bench(script: str, *args: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in _SUITE_ONLY}
    result = subprocess.run(  # noqa: S603 - our own benches
        [sys.executable, f"bench/{script}", "--smoke", *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "commit: " in out
    assert f"command: python bench/{script} --smoke" in out
    assert "load average" in out
    assert "state: " in out
    return out


def test_issuance_bench_runs():
    out = run_bench("issue_certificates.py")
    assert "x bare" in out


def test_password_bench_runs():
    out = run_bench("password_hash.py")
    assert "sign-in (POST /accounts/login/" in out


def test_verification_load_bench_runs_on_sqlite():
    out = run_bench("verify_load.py", "--no-redis")
    assert "a new SQLite database" in out
    assert "errors: 0" in out


@pytest.mark.postgres
def test_queues_bench_runs():
    out = run_bench("queues.py", BENCH_DATABASE_URL=_postgres_url("coo_bench_smoke_queues"))
    assert "slowest page median" in out


@pytest.mark.postgres
def test_two_workers_bench_runs():
    out = run_bench("issue_workers.py", "--database-url", _postgres_url("coo_bench_smoke_workers"))
    assert "numbers gapless" in out


@pytest.mark.postgres
@pytest.mark.redis
def test_verification_cpu_bench_runs_from_an_emptied_redis():
    out = run_bench(
        "verify_cpu.py",
        DATABASE_URL=_postgres_url("coo_bench_smoke_cpu"),
        REDIS_URL=_redis_url(),
    )
    assert "Redis db 15 emptied" in out


@pytest.mark.postgres
@pytest.mark.redis
def test_verification_load_bench_runs_cold_from_an_emptied_redis():
    out = run_bench(
        "verify_load.py",
        "--cold",
        "--database-url",
        _postgres_url("coo_bench_smoke_load"),
        REDIS_URL=_redis_url(),
    )
    assert "Redis db 15 emptied" in out
    assert "errors: 0" in out


def test_filing_api_bench_runs_on_sqlite():
    out = run_bench("api.py")
    assert "3 filings on sqlite" in out


@pytest.mark.postgres
@pytest.mark.redis
def test_filing_api_bench_runs_on_postgresql_and_an_emptied_redis():
    out = run_bench(
        "api.py", DATABASE_URL=_postgres_url("coo_bench_smoke_api"), REDIS_URL=_redis_url()
    )
    assert "3 filings on postgresql with Redis" in out
    assert "Redis db 15 emptied" in out


@pytest.mark.postgres
def test_reports_bench_runs():
    out = run_bench("reports.py", BENCH_DATABASE_URL=_postgres_url("coo_bench_smoke_reports"))
    assert "report" in out


@pytest.mark.postgres
@pytest.mark.redis
def test_pages_bench_walks_every_persona_from_an_emptied_redis():
    out = run_bench(
        "pages.py",
        BENCH_DATABASE_URL=_postgres_url("coo_bench_smoke_pages"),
        REDIS_URL=_redis_url(),
    )
    assert "Redis db 15 emptied" in out
    for who in ("exporter", "firm member", "agent", "officer", "agency administrator"):
        assert f"-- {who}" in out
    assert "pages timed" in out
