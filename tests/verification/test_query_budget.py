"""Acceptance 6: the page and the API cost a fixed, small number of queries.

A lookup the database answers (a first lookup, a wrong code, any lookup without Redis) is one
query: the certificate with its agency, office, agreement, exporter, replacement, goods and
invoices (box 10, which a verifier compares with the paper) in one row
(selectors.certificate_answer_row), however many goods and whatever the status. Its log row is
queued in Redis (written later in a batch) or, without Redis, one INSERT. The API's answer
reads the certificate's transparency log leaves besides (one query more, LOG; four at most
when a signed head covers them: test_transparency_log), only when the answer is built.
"""

from __future__ import annotations

import pytest

from coo_portal.celery import app as celery_app
from tests.verification.factories import CertificateFactory, LineItemFactory
from tests.verification.helpers import CHANNELS, look_up, supersede
from verification import selectors

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
LOG = 1
# Without Redis, a found certificate's log row is also counted in the reports' daily roll-up
# in the INSERT's transaction (verification/rollups.py): its agency read, the addition.
ROLLUP = 2


def budget(cold: int, channel: str) -> int:
    """A found certificate's lookup: `cold` (as a wrong number's), the roll-up's two queries
    when the row is written without Redis (cold > 1), the transparency log for the API."""
    return cold + (ROLLUP if cold > 1 else 0) + (LOG if channel == "api" else 0)


@pytest.fixture
def cold(settings, monkeypatch):
    """No answer kept (every lookup is a first lookup); the budget: one query, plus the log
    row's INSERT when there is no Redis to queue it in (with Redis the row waits there for the
    batch, which the tests' eager Celery would otherwise write at once). Without Redis the row
    is written after the response by verification/logbuffer.py in a transaction of its own
    (in production BEGIN and COMMIT, which Django does not count; inside the test's
    transaction, no savepoint either)."""
    settings.VERIFY_CACHE_SECONDS = 0
    # On PostgreSQL a connection's first lookup prepares the statement (one query more, once).
    selectors.certificate_answer_row("")
    if settings.REDIS_URL:
        monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
        return 1
    return 1 + 1


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_a_lookup_costs_one_query(client, certificate, channel, cold, django_assert_num_queries):
    with django_assert_num_queries(budget(cold, channel)):
        response = look_up(client, channel, NUMBER, CODE)
    assert response.status_code == 200


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_forty_goods_and_a_replacement_cost_no_more(
    client, certificate, channel, cold, django_assert_num_queries
):
    for position in range(4, 41):
        LineItemFactory(application=certificate.application, position=position)
    replacement = CertificateFactory(application__office=certificate.office, sequence=124)
    supersede(certificate, by=replacement)
    with django_assert_num_queries(budget(cold, channel)):
        response = look_up(client, channel, NUMBER, CODE)
    assert b"SUPERSEDED" in response.content or b"superseded" in response.content
    assert response.content.count(b"Cotton knitted T-shirts") >= 38


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_a_wrong_number_and_a_wrong_code_cost_the_same(
    client, certificate, channel, cold, django_assert_num_queries
):
    with django_assert_num_queries(cold):
        look_up(client, channel, "EIC/2026/MUM/0009999", CODE)
    with django_assert_num_queries(cold):
        look_up(client, channel, NUMBER, "WRONGCODE")


def test_a_first_lookup_with_kept_answers_costs_one_query_and_is_queued(
    client, certificate, settings, monkeypatch, django_assert_num_queries
):
    """With answers kept, a first lookup keeps its answer and queues its log row in one more
    Redis round trip, besides the one query."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set")
    from verification import store

    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    before = store.log_length()
    for channel in CHANNELS:
        with django_assert_num_queries(1):
            assert look_up(client, channel, "EIC/2026/MUM/0009999", CODE).status_code == 404
    with django_assert_num_queries(1 + LOG):
        assert look_up(client, "api", NUMBER, CODE).json()["status"] == "valid"
    with django_assert_num_queries(0):
        assert look_up(client, "api", NUMBER, CODE).json()["status"] == "valid"
    assert store.log_length() == before + 5


def test_a_connection_prepares_the_lookup_once_on_postgresql(
    certificate, settings, django_assert_num_queries
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    selectors.certificate_answer_row("")
    with connection.cursor() as cursor:  # as on a new connection
        cursor.execute("DEALLOCATE coo_verify_answer")
    connection._coo_verify_prepared_on = None
    with django_assert_num_queries(2) as first:
        assert selectors.certificate_answer_row(NUMBER)["verification_code"] == CODE
    assert first.captured_queries[0]["sql"].startswith("PREPARE coo_verify_answer AS SELECT")
    with django_assert_num_queries(1) as again:
        row = selectors.certificate_answer_row(NUMBER)
    assert again.captured_queries[0]["sql"].startswith("EXECUTE coo_verify_answer(")
    settings.VERIFY_PREPARE = False
    with django_assert_num_queries(1) as plain:
        assert selectors.certificate_answer_row(NUMBER) == row
    assert plain.captured_queries[0]["sql"].startswith("SELECT")
    assert [item["position"] for item in row["goods"]] != []
