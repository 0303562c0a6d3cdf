"""Issue 34, item 6: without Redis (the embedded default, or Redis down) a lookup's log row is
not written on the request path: it is kept in the process and written after the response, in
one INSERT for every row kept, once VERIFY_LOG_BUFFER_ROWS are kept or the oldest is
VERIFY_LOG_BUFFER_SECONDS old; a timer writes what a quiet process holds."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.verification.helpers import look_up
from verification import logbuffer
from verification.models import VerificationLog
from verification.services import verification_lookup

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"


@pytest.fixture(autouse=True)
def _without_redis(settings):
    settings.REDIS_URL = ""  # the embedded default: no queue in Redis
    settings.VERIFY_LOG_BUFFER_ROWS = 3
    settings.VERIFY_LOG_BUFFER_SECONDS = 3600
    yield
    logbuffer.flush()


def log_inserts(queries: CaptureQueriesContext) -> list[str]:
    table = VerificationLog._meta.db_table
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT") and table in q["sql"]
    ]


@pytest.mark.django_db
def test_lookups_are_written_after_their_responses_in_one_insert(client, certificate):
    with CaptureQueriesContext(connection) as queries:
        for channel in ("page", "api"):
            assert look_up(client, channel, NUMBER, CODE).status_code == 200
    # Answered, and nothing written: the rows wait in the process.
    assert log_inserts(queries) == []
    assert VerificationLog.objects.count() == 0
    assert logbuffer.kept() == 2
    with CaptureQueriesContext(connection) as queries:
        assert look_up(client, "qr", NUMBER, "WRONG").status_code == 404
    # The third row makes the batch due: one INSERT of all three, after the third response.
    assert len(log_inserts(queries)) == 1
    assert logbuffer.kept() == 0
    assert sorted(VerificationLog.objects.values_list("channel", "outcome")) == [
        ("api", "found"),
        ("page", "found"),
        ("qr", "not_found"),
    ]
    assert VerificationLog.objects.filter(outcome="found", certificate=certificate).count() == 2


@pytest.mark.django_db
def test_an_old_enough_row_is_written_at_the_end_of_its_request(client, certificate, settings):
    settings.VERIFY_LOG_BUFFER_SECONDS = 0
    look_up(client, "page", NUMBER, CODE)
    assert VerificationLog.objects.count() == 1
    assert logbuffer.kept() == 0


@pytest.mark.django_db
def test_outside_a_request_a_lookup_is_written_at_once(certificate):
    verification_lookup(number=NUMBER, code=CODE, channel="api", client_address="203.0.113.7")
    assert VerificationLog.objects.count() == 1
    assert logbuffer.kept() == 0


@pytest.mark.django_db
def test_with_no_buffer_each_row_is_written_on_its_request(client, certificate, settings):
    settings.VERIFY_LOG_BUFFER_ROWS = 0
    look_up(client, "page", NUMBER, CODE)
    assert VerificationLog.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_quiet_process_writes_what_it_holds_after_the_buffer_seconds(
    client, certificate, settings
):
    settings.VERIFY_LOG_BUFFER_SECONDS = 1
    look_up(client, "page", NUMBER, CODE)
    assert logbuffer.kept() == 1  # no other request comes: the timer writes it
    deadline = time.monotonic() + 30
    while VerificationLog.objects.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert VerificationLog.objects.count() == 1
    assert logbuffer.kept() == 0
