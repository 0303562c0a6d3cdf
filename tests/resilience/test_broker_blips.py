"""Issue 27, acceptance 4: a worker survives Redis restarts. Redis (the test's own) is stopped
three times for a few seconds under a running worker while approvals arrive; the worker keeps
running, and every approved application gets its certificate once Redis is back, with the
office's numbers gapless. Needs PostgreSQL (the worker shares the test database) and
redis-server. About a minute."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from applications import workflow
from certificates.models import Certificate, CertificateCounter
from review import services as review_services

from .conftest import OwnRedis, broker_at
from .test_worker_recovery import Workers, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

OUTAGES = 3
OUTAGE_SECONDS = 6
PER_ROUND = 2


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database: needs PostgreSQL (DATABASE_URL)")


@pytest.fixture
def worker_pool(tmp_path: Path, signing_key: Path) -> Iterator[Workers]:
    pool = Workers(tmp_path, signing_key)
    yield pool
    pool.stop_all()


def approve(application, officer) -> None:
    workflow.application_start_review(application_id=application.pk, officer=officer)
    review_services.application_approve(application_id=application.pk, officer=officer, remark="")


def test_a_worker_survives_redis_restarts_and_issues_every_certificate_gapless(
    olivia, make_application, own_redis: OwnRedis, worker_pool: Workers
):
    workers = worker_pool
    own_redis.persistent = True  # appendonly, as docker-compose.yml runs Redis
    own_redis.start()
    worker = workers.start(own_redis.url, ISSUANCE_STUCK_SECONDS="20", HEARTBEAT_SECONDS="2")
    applications = []
    with broker_at(own_redis.url):
        for _ in range(OUTAGES):
            for _ in range(PER_ROUND):
                application = make_application()
                approve(application, olivia)
                applications.append(application)
            own_redis.stop()
            # Approved while Redis is down: the outbox keeps the task.
            application = make_application()
            approve(application, olivia)
            applications.append(application)
            time.sleep(OUTAGE_SECONDS)
            assert worker.poll() is None, workers.logs()
            own_redis.start()
            time.sleep(2)
    ids = [a.pk for a in applications]
    try:
        wait_for(
            lambda: Certificate.objects.filter(application_id__in=ids).count() == len(ids),
            seconds=60,
            what="every certificate after the last restart",
        )
    except AssertionError:
        print(workers.logs())
        raise
    assert worker.poll() is None, "the worker exited"
    office = applications[0].office
    sequences = sorted(
        Certificate.objects.filter(application__office=office).values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, len(ids) + 1))
    assert CertificateCounter.objects.get(office=office).last == len(ids)
