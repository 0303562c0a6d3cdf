"""`make upgrade-smoke`: the previous release keeps working while this release's migrations run
and after they have run (issue 27, upgrades without downtime).

1. The previous release (the commit in tests/e2e/PREVIOUS_RELEASE) is extracted with
   `git archive` into a temporary folder and migrates a database afresh: the schema it serves.
2. This checkout's `migrate` starts on that database, and at the same moment the previous
   release's own journey test (its tests/e2e/test_journey.py, in Chromium under its live
   server, Celery eager: register, sign in, file an application, pay, approve, issue, download,
   verify, revoke) runs on it with pytest-django's --reuse-db, so its requests are served while
   the migrations take their locks.
3. Once `migrate` has finished, the previous release's journey runs again on the new schema
   (nodes not yet switched, after the migrations).

Both journeys and the migration must pass. What it proves: the previous release's code (its
models, views, services and issuance), served by Django's live server in one process, works
on the schema while and after this release's migrations run, and the migrations do not fail
with it serving. What it does not: gunicorn and a Celery worker of the previous release (the
journey runs eagerly), and the previous release's dependencies: it runs on this checkout's
.venv (the pins of requirements.lock), not the previous release's own. Between journeys
pytest-django empties the tables the previous release knows; PostgreSQL needs CASCADE for the
tables it does not, so the runner passes a tiny plugin that flushes with CASCADE.

    .venv/bin/python -m tests.e2e.upgrade_smoke

Environment: UPGRADE_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/coo_upgrade; its
test database, test_coo_upgrade, is dropped and created afresh), PREVIOUS_RELEASE (a commit,
instead of the file's).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
PYTHON = Path(sys.executable)
DATABASE_URL = os.environ.get(
    "UPGRADE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/coo_upgrade"
)
STARTED = time.monotonic()

# Loaded into the previous release's pytest (-p): pytest-django empties the tables after a
# transactional test with TRUNCATE, which PostgreSQL refuses while tables the previous release
# does not know refer to them; CASCADE empties those too.
CASCADE_PLUGIN = """
def pytest_sessionstart(session):
    # Django is set up by now (pytest-django): its PostgreSQL flush is made to cascade.
    from django.db.backends.postgresql.operations import DatabaseOperations

    sql_flush = DatabaseOperations.sql_flush

    def cascading(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        return sql_flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=True)

    DatabaseOperations.sql_flush = cascading
"""


def log(message: str) -> None:
    print(f"[upgrade-smoke +{time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def previous_release() -> str:
    if os.environ.get("PREVIOUS_RELEASE"):
        return os.environ["PREVIOUS_RELEASE"]
    lines = (ROOT / "tests" / "e2e" / "PREVIOUS_RELEASE").read_text().splitlines()
    return next(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def test_database_url() -> str:
    parts = urlsplit(DATABASE_URL)
    return urlunsplit(parts._replace(path="/test_" + parts.path.lstrip("/")))


def reset_test_database() -> None:
    import psycopg2

    parts = urlsplit(test_database_url())
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            name = parts.path.lstrip("/")
            # The name is ours (UPGRADE_DATABASE_URL), not user input.
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()


def environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TESTING"}
    }
    env.update(extra)
    return env


def extract(ref: str, into: Path) -> None:
    archive = subprocess.run(  # noqa: S603 - fixed arguments
        ["git", "archive", "--format=tar", ref],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)  # noqa: S603, S607
    (into / "_upgrade_cascade.py").write_text(CASCADE_PLUGIN)


def migrate(cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [str(PYTHON), "manage.py", "migrate", "--noinput"],
        cwd=cwd,
        env=environment(DEBUG="1", DATABASE_URL=test_database_url()),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def journey(previous: Path) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(PYTHON.parent / "pytest"),
            "tests/e2e/test_journey.py",
            "-q",
            "-x",
            "--reuse-db",
            "-p",
            "_upgrade_cascade",
            "-p",
            "no:cacheprovider",
        ],
        cwd=previous,
        env=environment(DATABASE_URL=DATABASE_URL, PYTHONPATH=str(previous)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(name: str, process: subprocess.Popen) -> float:
    output, _ = process.communicate(timeout=900)
    if process.returncode != 0:
        print(output)
        raise SystemExit(f"upgrade-smoke: {name} failed (exit {process.returncode})")
    log(f"{name}: passed")
    return time.monotonic()


def main() -> int:
    ref = previous_release()
    with tempfile.TemporaryDirectory(prefix="coo-previous-release-") as folder:
        previous = Path(folder)
        extract(ref, previous)
        log(f"previous release {ref} extracted to {previous}")
        reset_test_database()
        finish(f"the previous release's migrate ({ref})", migrate(previous))
        log("this release's migrate and the previous release's journey, at the same time")
        migration = migrate(ROOT)
        serving = journey(previous)
        migrated_at = finish(
            "this release's migrate (while the previous release served)", migration
        )
        served_at = finish("the previous release's journey (during the migration)", serving)
        overlap = (
            "the journey outlasted the migration"
            if served_at > migrated_at
            else ("the migration outlasted the journey")
        )
        log(overlap)
        finish("the previous release's journey on the migrated schema", journey(previous))
    log("passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
