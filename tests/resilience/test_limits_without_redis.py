"""Limits that hold while Redis is down: the verification limit falls back to a count kept in
the database (core.durable.ratelimit), which counts every hit even under concurrency."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection

from core.durable.ratelimit import rate_counter_hit, rate_counters_purge
from tests.certificates.test_numbering import run_together
from tests.verification.factories import CertificateFactory
from tests.verification.helpers import look_up

from .conftest import free_port

pytestmark = pytest.mark.django_db

BANK, CUSTOMS = "203.0.113.7", "198.51.100.23"
NOW = dt.datetime(2026, 3, 4, 11, 30, 5, tzinfo=dt.UTC)


@pytest.fixture
def certificate(alice, eic_mumbai, olivia):
    return CertificateFactory(
        application__exporter=alice,
        application__office=eic_mumbai,
        verification_code="K7PX2M9QRT4W",
        signing_officer=olivia,
    )


@pytest.mark.parametrize("channel", ["page", "api"])
def test_with_redis_unreachable_the_31st_lookup_in_a_minute_is_still_refused(
    client, certificate, settings, channel
):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # kept answers on, Redis down
    settings.VERIFY_CACHE_SECONDS = 3600
    settings.VERIFY_RATE = "30/m"
    number, code = certificate.number, certificate.verification_code

    with time_machine.travel(NOW, tick=False):
        answers = [look_up(client, channel, number, code, REMOTE_ADDR=BANK) for _ in range(31)]
        other = look_up(client, channel, number, code, REMOTE_ADDR=CUSTOMS)

    assert [r.status_code for r in answers] == [200] * 30 + [429]
    assert other.status_code == 200


def test_the_database_counter_counts_per_key_and_starts_again_each_window():
    with time_machine.travel(NOW, tick=False):
        assert [rate_counter_hit(key="a", period=60) for _ in range(3)] == [1, 2, 3]
        assert rate_counter_hit(key="b", period=60) == 1
    with time_machine.travel(NOW + dt.timedelta(seconds=60), tick=False):
        assert rate_counter_hit(key="a", period=60) == 1
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        assert rate_counters_purge() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_hits_are_all_counted():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency needs PostgreSQL (DATABASE_URL)")
    counts, errors = run_together(20, lambda: rate_counter_hit(key="race", period=3600))

    assert errors == []
    assert sorted(counts) == list(range(1, 21))
