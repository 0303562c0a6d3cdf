"""Real Celery workers against a Redis of the test's own (issue 18, acceptances 6 and 7):
- the broker down while an officer approves, then up: the worker's beat drains the outbox
  and the certificate and the emails follow;
- a worker killed (SIGKILL) while signing: after its restart the certificate exists within
  2 minutes, under the number reserved before the kill.
They need PostgreSQL (the workers share the test database) and redis-server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from applications import workflow
from applications.models import Status
from certificates.models import Certificate, CertificateCounter, CertificateReservation
from core.durable.models import OutboxMessage
from tests.clients import verified_client

from .conftest import OwnRedis, broker_at, free_port, timed

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the workers share the test database: needs PostgreSQL (DATABASE_URL)")


def wait_for(check: Callable[[], object], *, seconds: float, what: str) -> float:
    """Poll until `check()` is true; returns how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return time.monotonic() - started
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {seconds} s")


class Workers:
    """Celery worker subprocesses on the test database and a given Redis, each with beat
    embedded (-B), as the development stack runs them."""

    def __init__(self, folder: Path, keys: Path) -> None:
        self.folder, self.keys = folder, keys
        self.queue = f"test-{uuid.uuid4().hex[:8]}"
        self.running: list[subprocess.Popen] = []

    def env(self, redis_url: str, **extra: str) -> dict[str, str]:
        db = connection.settings_dict
        env = {
            k: v for k, v in os.environ.items() if k not in {"TESTING", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DEBUG="1",
            DATABASE_URL=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            REDIS_URL=redis_url,
            CACHE_KEY_PREFIX=self.queue,
            CELERY_QUEUE=self.queue,
            VAR_DIR=str(self.folder),
            SIGNING_KEYS_DIR=str(self.keys),
            OUTBOX_DRAIN_SECONDS="1",
            ISSUANCE_SWEEP_SECONDS="5",
            LOG_LEVEL="WARNING",
            **extra,
        )
        return env

    def start(self, redis_url: str, *, module: str = "celery", **extra: str) -> subprocess.Popen:
        command = [sys.executable, "-m", module]
        command += [] if module != "celery" else ["-A", "coo_portal"]
        command += [
            "worker",
            "-B",
            f"--schedule={self.folder / f'beat-{len(self.running)}'}",
            "--pool=solo",
            f"--queues={self.queue}",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ]
        # The worker writes through its own copy of the descriptor; this one is closed at once.
        with (self.folder / f"worker-{len(self.running)}.log").open("w") as log:
            worker = subprocess.Popen(  # noqa: S603 - the project's own worker
                command, cwd=ROOT, env=self.env(redis_url, **extra), stdout=log, stderr=log
            )
        self.running.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.running:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.folder.glob("worker-*.log")))


@pytest.fixture
def workers(tmp_path: Path, signing_key: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path, signing_key)
    yield pool
    pool.stop_all()


def approve_through_the_page(application, officer) -> float:
    workflow.application_start_review(application_id=application.pk, officer=officer)
    url = reverse("officer:approve", args=[application.reference])
    response, seconds = timed(lambda: verified_client(officer).post(url, {"remark": ""}))
    assert response.status_code == 302
    return seconds


def test_approved_while_redis_is_down_the_certificate_and_emails_follow_when_it_returns(
    olivia, alice, make_application, own_redis: OwnRedis, workers: Workers
):
    application = make_application()
    with broker_at(own_redis.url):  # nothing listens there yet
        seconds = approve_through_the_page(application, olivia)
    assert seconds < 2.0
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() >= 2  # email, issuance

    own_redis.start()
    workers.start(own_redis.url)

    def issued() -> bool:
        return Certificate.objects.filter(application=application).exists()

    try:
        wait_for(issued, seconds=90, what="the certificate after Redis returned")
        wait_for(
            lambda: not OutboxMessage.objects.filter(sent_at__isnull=True).exists(),
            seconds=30,
            what="the outbox drained",
        )
        mail = workers.folder / "mail"
        number = Certificate.objects.get(application=application).number

        def both_emails_written() -> bool:
            # The file backend writes a file per connection, and a message may sit in a file
            # before the other arrives: wait for what the asserts below read, not a count.
            text = "".join(p.read_text() for p in mail.glob("*.log"))
            return f"{application.reference} approved" in text and number in text

        wait_for(both_emails_written, seconds=30, what="the approval and certificate emails")
    except AssertionError:
        print(workers.logs())
        raise
    application.refresh_from_db()
    assert application.status == Status.ISSUED
    written = "".join(p.read_text() for p in mail.glob("*.log"))
    assert f"{application.reference} approved" in written
    assert application.certificate.number in written
    assert alice.email in written
    assert (workers.folder / "media" / application.certificate.pdf.name).exists()


def test_a_worker_killed_while_signing_is_followed_by_the_certificate_within_two_minutes(
    olivia, make_application, own_redis: OwnRedis, workers: Workers
):
    own_redis.start()
    marker = workers.folder / "signing-started"
    short = {
        # A short visibility timeout and sweep, so that the test does not wait 15 minutes.
        "CELERY_TASK_SOFT_TIME_LIMIT": "8",
        "CELERY_TASK_TIME_LIMIT": "10",
        "CELERY_BROKER_VISIBILITY_TIMEOUT": "30",
        "ISSUANCE_STUCK_SECONDS": "20",
    }
    doomed = workers.start(
        own_redis.url,
        module="tests.resilience.slow_signing_worker",
        SIGNING_MARKER=str(marker),
        **short,
    )
    application = make_application()
    with broker_at(f"redis://127.0.0.1:{free_port()}/0"):  # the worker's beat publishes
        approve_through_the_page(application, olivia)

    try:
        wait_for(marker.exists, seconds=60, what="the first worker signing")
    except AssertionError:
        print(workers.logs())
        raise
    reserved = CertificateReservation.objects.get(application=application)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    assert not Certificate.objects.filter(application=application).exists()

    workers.start(own_redis.url, **short)
    try:
        took = wait_for(
            lambda: Certificate.objects.filter(application=application).exists(),
            seconds=120,
            what="the certificate after the worker's restart",
        )
    except AssertionError:
        print(workers.logs())
        raise

    certificate = Certificate.objects.get(application=application)
    assert took < 120
    assert (certificate.number, certificate.sequence) == (reserved.number, 1)
    assert CertificateCounter.objects.get(office=application.office).last == 1
    assert not CertificateReservation.objects.exists()
    print(f"certificate {took:.1f} s after the restart")
