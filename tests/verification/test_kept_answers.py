"""Answers kept in Redis (verification/store.py): served without the database, never stale.

The tests that need Redis skip without REDIS_URL; CI runs them in its PostgreSQL + Redis pass.
The last ones (Redis unreachable) run everywhere.
"""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection, transaction

from coo_portal.celery import app as celery_app
from tests.verification.factories import CertificateFactory
from tests.verification.helpers import look_up, revoke, supersede
from verification import selectors, services, store, tasks
from verification.models import VerificationLog

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_store(settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: lookups read the database on the embedded default")
    assert store.enabled()


@pytest.fixture
def queued_log(monkeypatch, redis_store):
    """Log rows stay queued until the test flushes them (no eager flush in the request)."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    store._client().delete(*store._log_keys())
    yield
    store._client().delete(*store._log_keys())


def test_a_kept_answer_costs_no_query_and_is_logged_later(
    client, certificate, queued_log, django_assert_num_queries
):
    # Each kind is built (and kept) when first asked for: the page by the QR link, the JSON
    # document by the API; the first lookup of each is one query, its log row queued (the
    # API's document reads the transparency log's leaves besides: test_query_budget's LOG).
    # On PostgreSQL a connection's first lookup prepares the statement (once): done here first.
    selectors.certificate_answer_row("")
    with django_assert_num_queries(1):
        first = look_up(client, "qr", NUMBER, CODE)
    with django_assert_num_queries(2):
        first_api = look_up(client, "api", NUMBER, CODE)
    with django_assert_num_queries(0):
        again = look_up(client, "qr", NUMBER, CODE)
        api = look_up(client, "api", NUMBER, CODE)

    assert first.status_code == again.status_code == api.status_code == 200
    assert again.content == first.content
    assert api.content == first_api.content
    assert api.json()["status"] == "valid"
    assert VerificationLog.objects.count() == 0
    assert store.log_length() == 4
    assert tasks.verification_log_flush() == 4
    rows = list(VerificationLog.objects.order_by("created_at"))
    assert [(r.channel, r.outcome, r.certificate_id) for r in rows] == [
        ("qr", "found", certificate.pk),
        ("api", "found", certificate.pk),
        ("qr", "found", certificate.pk),
        ("api", "found", certificate.pk),
    ]
    assert rows[0].created_at <= rows[1].created_at <= rows[2].created_at <= rows[3].created_at


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_the_kept_answer_is_the_one_read_from_the_database(
    client, certificate, redis_store, channel
):
    from_database = look_up(client, channel, NUMBER, CODE)
    kept = look_up(client, channel, NUMBER, CODE)
    client.cookies["seen-before"] = "1"  # a visitor with cookies gets the layout rendered
    with_cookie = look_up(client, channel, NUMBER, CODE)

    assert from_database.content == kept.content == with_cookie.content
    assert kept["Content-Type"] == from_database["Content-Type"]
    assert "no-store" in kept["Cache-Control"]
    # Kept pages are served to anyone: they must carry nothing of one visitor.
    assert b"csrfmiddlewaretoken" not in kept.content
    assert not kept.cookies


def test_a_revocation_shows_at_once(
    client, certificate, ada, redis_store, django_capture_on_commit_callbacks
):
    look_up(client, "qr", NUMBER, CODE)
    with django_capture_on_commit_callbacks(execute=True):
        revoke(certificate, "Invoice found to be forged.", actor=ada)

    page = look_up(client, "qr", NUMBER, CODE)
    api = look_up(client, "api", NUMBER, CODE)
    assert b"REVOKED" in page.content
    assert b"Invoice found to be forged." in page.content
    assert api.json()["status"] == "revoked"


def test_a_replacement_shows_at_once(client, certificate, redis_store):
    look_up(client, "qr", NUMBER, CODE)
    replacement = CertificateFactory(application__office=certificate.office, sequence=124)
    supersede(certificate, by=replacement)

    assert look_up(client, "api", NUMBER, CODE).json()["status"] == "superseded"


def test_an_answer_read_before_a_revocation_is_never_served(
    client, certificate, ada, redis_store, django_capture_on_commit_callbacks
):
    # A lookup reads the token and the database (VALID)...
    token = store.token_claim(NUMBER)
    stale = services._answer_from_database(NUMBER, CODE)
    # ...the agency revokes meanwhile...
    with django_capture_on_commit_callbacks(execute=True):
        revoke(certificate, "Issued in error.", actor=ada)
    # ...and the slow lookup keeps its VALID answer only afterwards.
    store.keep(number=NUMBER, code=CODE, token=token, answer=stale)

    assert look_up(client, "api", NUMBER, CODE).json()["status"] == "revoked"


def test_a_first_lookup_overtaken_by_a_revocation_keeps_nothing(
    client, certificate, ada, redis_store, django_capture_on_commit_callbacks
):
    # The first lookup finds no token (none is made for it yet) and reads VALID...
    assert (
        store.fetch(number=NUMBER, code=CODE, limit_key="t", limit=30, period=60, log_row={}).token
        is None
    )
    stale = services._answer_from_database(NUMBER, CODE)
    assert json.loads(stale.document)["status"] == "valid"
    # ...the agency revokes meanwhile...
    with django_capture_on_commit_callbacks(execute=True):
        revoke(certificate, "Issued in error.", actor=ada)
    # ...so the lookup cannot make the token it would keep its VALID answer under.
    assert store.token_create(NUMBER) is None
    assert look_up(client, "api", NUMBER, CODE).json()["status"] == "revoked"


def test_a_wrong_code_goes_to_the_database_and_gets_the_common_miss(
    client, certificate, redis_store, django_assert_num_queries
):
    look_up(client, "qr", NUMBER, CODE)  # the answer is kept now
    with django_assert_num_queries(2):  # the certificate, and the log row (flushed eagerly)
        wrong_code = look_up(client, "qr", NUMBER, "WRONGCODE999")
    unknown = look_up(client, "qr", "EIC/2026/MUM/0009999", CODE)

    assert wrong_code.status_code == unknown.status_code == 404
    assert wrong_code.content == unknown.content


def test_a_redis_that_lost_its_scripts_still_serves_the_kept_answer(
    client, certificate, queued_log, django_assert_num_queries
):
    kept = look_up(client, "api", NUMBER, CODE)
    store._client().script_flush()  # as after a Redis restart without persistence of scripts
    with django_assert_num_queries(0):
        again = look_up(client, "api", NUMBER, CODE)
    assert again.status_code == 200
    assert again.content == kept.content


def test_a_dropped_redis_connection_is_made_again(
    client, certificate, queued_log, django_assert_num_queries
):
    kept = look_up(client, "qr", NUMBER, CODE)
    # Redis drops the connection the lookups use (a restart, a failover, an idle timeout).
    held = store._connection()
    held.send_command("CLIENT", "ID")
    store._client().client_kill_filter(_id=held.read_response())

    # That lookup is answered from the database; the next one from Redis again.
    assert look_up(client, "qr", NUMBER, CODE).content == kept.content
    with django_assert_num_queries(0):
        assert look_up(client, "qr", NUMBER, CODE).content == kept.content


def test_a_batch_the_database_refuses_stays_in_redis(certificate, queued_log):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce column lengths")
    row = {"channel": "qr", "outcome": "found", "client_hash": "f" * 64}
    store.log_push(
        certificate_id=certificate.pk, row={**row, "created_at": "2026-03-04T12:00:00+00:00"}
    )
    # A channel longer than its column: PostgreSQL refuses the whole INSERT.
    store.log_push(
        certificate_id=None,
        row={**row, "channel": "x" * 50, "created_at": "2026-03-04T12:00:01+00:00"},
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        tasks.verification_log_flush()

    assert store.log_length() == 2
    assert VerificationLog.objects.count() == 0
    # The next flusher (the task's retry) takes the same batch, in its order.
    token = store.log_lease(60)
    assert token is not None
    batch = store.log_take(token=token, limit=10, lease_seconds=60)
    assert batch.unconfirmed
    assert [r["created_at"][-14:-6] for r in batch.rows] == ["12:00:00", "12:00:01"]


# ---------------------------------------------------------------------------------------------
# Redis unreachable (any database, with or without REDIS_URL)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_lookups_are_answered_from_the_database_when_redis_is_down(
    client, certificate, settings, channel
):
    settings.REDIS_URL = DEAD_REDIS

    response = look_up(client, channel, NUMBER, CODE)

    assert response.status_code == 200
    entry = VerificationLog.objects.get()
    assert (entry.channel, entry.outcome, entry.certificate) == (channel, "found", certificate)


def test_a_revocation_waits_for_redis(certificate, ada, settings):
    from certificates.services import CertificateError

    settings.REDIS_URL = DEAD_REDIS

    with pytest.raises(CertificateError, match="not revoked"):
        revoke(certificate, "Invoice found to be forged.", actor=ada)
    certificate.refresh_from_db()
    assert certificate.status == "valid"


# issue 34, item 1: VERIFY_CACHE_SECONDS=0 serves and writes no kept answer, on every path,
# even one kept before the setting changed; and a change made meanwhile is not forgotten.


def _rename_office(certificate, name: str) -> None:
    office = certificate.application.office
    office.name = name
    office.save(update_fields=["name"])


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_no_kept_answer_is_served_once_keeping_is_turned_off(
    client, certificate, redis_store, settings, channel
):
    settings.VERIFY_CACHE_SECONDS = 3600
    look_up(client, channel, NUMBER, CODE)
    assert store._client().exists(store._key("a", NUMBER))  # kept, as before
    _rename_office(certificate, "EIA Mumbai Renamed")

    settings.VERIFY_CACHE_SECONDS = 0
    answer = look_up(client, channel, NUMBER, CODE)

    assert answer.status_code == 200
    assert "EIA Mumbai Renamed" in answer.content.decode()


def test_nothing_is_kept_while_keeping_is_off(client, certificate, redis_store, settings):
    settings.VERIFY_CACHE_SECONDS = 0
    for channel in ("page", "qr", "api"):
        assert look_up(client, channel, NUMBER, CODE).status_code == 200
    assert not store._client().exists(store._key("a", NUMBER))


def test_a_revocation_while_keeping_is_off_is_not_undone_when_it_is_on_again(
    client, certificate, redis_store, settings, ada
):
    settings.VERIFY_CACHE_SECONDS = 3600
    assert look_up(client, "api", NUMBER, CODE).json()["status"] == "valid"  # kept
    settings.VERIFY_CACHE_SECONDS = 0
    revoke(certificate, "Goods not of Indian origin", actor=ada)

    settings.VERIFY_CACHE_SECONDS = 3600
    assert look_up(client, "api", NUMBER, CODE).json()["status"] == "revoked"
