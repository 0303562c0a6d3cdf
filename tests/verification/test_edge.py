"""Kept answers answered before the middleware stack (verification/edge.py), as the stack would.

Each answer is fetched twice: by a client whose handler has the edge (settings.MIDDLEWARE) and
by one whose handler has every middleware but the edge (the stack as it was), and the two
responses must be equal: status, every header in order, body. The tests that need Redis skip
without REDIS_URL (the edge serves only answers kept there).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client, override_settings

from coo_portal.celery import app as celery_app
from tests.clients import verified_client
from tests.verification.helpers import api_url, qr_url
from verification import edge, services, store, tasks, views
from verification.models import VerificationLog

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
EDGE = "verification.edge.VerificationEdgeMiddleware"
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1
URLS = {"qr": qr_url, "api": api_url}


@pytest.fixture
def redis_store(settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no answers are kept, the edge answers nothing")
    # Log rows stay queued (no eager flush inside the request) until a test flushes them.
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    store._client().delete(*store._log_keys())
    yield
    store._client().delete(*store._log_keys())
    celery_app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _still_clock():
    # Rate limits count in fixed windows: no test may straddle the end of one.
    with time_machine.travel(dt.datetime(2026, 3, 4, 11, 30, 5, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def production(settings):
    """What DEBUG=0 switches on in coo_portal/settings.py (the test settings turn off the
    https redirect); requests come through the proxy as https."""
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    return {"HTTP_X_FORWARDED_PROTO": "https"}


@pytest.fixture
def views_called(monkeypatch) -> list[str]:
    """The numbers the two views looked up (an answer by the edge calls neither)."""
    called: list[str] = []
    lookup = views.verification_lookup

    def spy(**kwargs):
        called.append(kwargs["number"])
        return lookup(**kwargs)

    monkeypatch.setattr(views, "verification_lookup", spy)
    return called


@pytest.fixture
def round_trips(monkeypatch) -> list[list[str]]:
    """The lookup scripts run (their keys), wherever they are run from."""
    trips: list[list[str]] = []
    run = store._run_lookup

    def spy(keys, args):
        trips.append(keys)
        return run(keys, args)

    monkeypatch.setattr(store, "_run_lookup", spy)
    return trips


@contextmanager
def stack_only() -> Iterator[None]:
    with override_settings(MIDDLEWARE=[m for m in django_settings.MIDDLEWARE if m != EDGE]):
        yield


def get(path: str, *, through_edge: bool, client: Client | None = None, **extra):
    """A GET by a fresh client (its handler built now, with or without the edge)."""
    if through_edge:
        return (client or Client()).get(path, **extra)
    with stack_only():
        return (client or Client()).get(path, **extra)


def _headers(answer) -> list[tuple[str, str]]:
    """The answer's headers, the request id's value aside (each request gets its own:
    coo_portal/logs.py); it must be there, and be one."""
    headers = list(answer.headers.items())
    ids = [value for name, value in headers if name == "X-Request-ID"]
    assert len(ids) == 1, ids
    assert re.fullmatch(r"[0-9a-f]{32}", ids[0]), ids
    return [(n, "<id>" if n == "X-Request-ID" else v) for n, v in headers]


def same(edge_answer, stack_answer) -> None:
    assert edge_answer.status_code == stack_answer.status_code
    assert _headers(edge_answer) == _headers(stack_answer)
    assert edge_answer.content == stack_answer.content
    # The same cookies set (a form's CSRF cookie on a miss; its value is per request).
    assert sorted(edge_answer.cookies) == sorted(stack_answer.cookies)


def rate_count(address: str = "127.0.0.1") -> int:
    limit_key = services._limit_key(services.client_hash(address))
    keys = store._client().keys(store._key("rl", limit_key, "*"))
    return sum(int(store._client().get(key) or 0) for key in keys)


# ---------------------------------------------------------------------------------------------
# The same answer as the stack's
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["qr", "api"])
@pytest.mark.parametrize("environment", ["test settings", "production settings"])
def test_a_kept_answer_comes_from_the_edge_with_the_stacks_headers_and_body(
    request, certificate, redis_store, views_called, round_trips, channel, environment
):
    extra = request.getfixturevalue("production") if environment == "production settings" else {}
    path = URLS[channel](NUMBER, CODE)
    first = get(path, through_edge=True, **extra)  # a first lookup: through the stack, kept
    assert first.status_code == 200
    assert views_called == [NUMBER]

    from_edge = get(path, through_edge=True, **extra)
    assert views_called == [NUMBER]  # the view was not called: the edge answered
    from_stack = get(path, through_edge=False, **extra)
    assert views_called == [NUMBER, NUMBER]

    same(from_edge, from_stack)
    same(from_edge, first)
    assert not from_edge.cookies
    assert len(round_trips) == 3  # one each: the first lookup's was not repeated by the view
    headers = from_edge.headers
    assert headers["Content-Length"] == str(len(from_edge.content))
    assert headers["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"
    assert headers["Vary"] == "Cookie"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "nonce" not in headers["Content-Security-Policy"]
    assert "default-src 'self'" in headers["Content-Security-Policy"].split("; ")
    if environment == "production settings":
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
    else:
        assert "Strict-Transport-Security" not in headers
    if channel == "api":
        assert headers["Content-Type"] == "application/json"
        assert from_edge.json()["status"] == "valid"
    else:
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"csrfmiddlewaretoken" not in from_edge.content


@pytest.mark.parametrize("channel", ["qr", "api"])
def test_the_edges_answer_is_logged_as_the_stacks_is(certificate, redis_store, channel):
    path = URLS[channel](NUMBER, CODE)
    get(path, through_edge=True)  # first lookup
    get(path, through_edge=True)  # kept: the edge
    get(path, through_edge=False)  # kept: the stack

    assert store.log_length() == 3
    assert tasks.verification_log_flush() == 3
    rows = VerificationLog.objects.order_by("created_at")
    assert [(r.channel, r.outcome, r.certificate_id) for r in rows] == [
        (channel, "found", certificate.pk)
    ] * 3
    assert len({r.client_hash for r in rows}) == 1


# ---------------------------------------------------------------------------------------------
# What the edge leaves to the stack, unchanged
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["qr", "api"])
def test_a_wrong_code_goes_on_to_the_view_with_one_round_trip_and_one_count(
    certificate, redis_store, views_called, round_trips, channel
):
    get(URLS[channel](NUMBER, CODE), through_edge=True)  # kept: a wrong code must not see it
    round_trips.clear()
    wrong = URLS[channel](NUMBER, "WRONGCODE123")
    from_edge = get(wrong, through_edge=True)
    assert len(round_trips) == 1  # the edge's: the view finished the lookup from it
    from_stack = get(wrong, through_edge=False)

    assert from_edge.status_code == 404
    same(from_edge, from_stack)
    assert views_called == [NUMBER, NUMBER, NUMBER]
    assert rate_count() == 3
    tasks.verification_log_flush()
    outcomes = list(VerificationLog.objects.values_list("outcome", "certificate_id"))
    assert sorted(outcomes, key=str) == sorted(
        [("found", certificate.pk), ("not_found", None), ("not_found", None)], key=str
    )


@pytest.mark.parametrize("channel", ["qr", "api"])
def test_a_rate_limited_client_is_refused_by_the_stack_as_before(
    certificate, redis_store, views_called, round_trips, settings, channel
):
    settings.VERIFY_RATE = "3/m"
    path = URLS[channel](NUMBER, CODE)
    answers = [get(path, through_edge=True) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert views_called == [NUMBER, NUMBER]  # the first lookup and the refused one
    assert len(round_trips) == 4  # one count each
    assert rate_count() == 4
    refused = answers[-1]
    assert refused["Retry-After"] == "60"
    same(refused, get(path, through_edge=False))
    assert rate_count() == 5
    assert store.log_length() == 3  # the three answered; a refusal is not logged


@pytest.mark.parametrize("channel", ["qr", "api"])
def test_a_host_not_allowed_gets_the_stacks_400_and_nothing_is_counted(
    certificate, redis_store, views_called, round_trips, production, channel
):
    path = URLS[channel](NUMBER, CODE)
    get(path, through_edge=True, **production)  # kept
    round_trips.clear()
    bad = {**production, "HTTP_HOST": "portal.example.evil"}

    from_edge = get(path, through_edge=True, **bad)
    from_stack = get(path, through_edge=False, **bad)
    assert from_edge.status_code == 400
    same(from_edge, from_stack)
    assert round_trips == []
    assert rate_count() == 1


@pytest.mark.parametrize("channel", ["qr", "api"])
def test_plain_http_is_redirected_to_https_when_configured(
    certificate, redis_store, round_trips, production, channel
):
    path = URLS[channel](NUMBER, CODE)
    get(path, through_edge=True, **production)  # kept
    round_trips.clear()

    from_edge = get(path, through_edge=True)  # no X-Forwarded-Proto: plain http
    from_stack = get(path, through_edge=False)
    assert from_edge.status_code == 301
    assert from_edge["Location"] == f"https://testserver{path}"
    same(from_edge, from_stack)
    assert round_trips == []


def test_a_signed_in_officer_takes_the_stack_and_keeps_the_layout(
    certificate, redis_store, views_called, olivia
):
    path = qr_url(NUMBER, CODE)
    anonymous = get(path, through_edge=True)
    get(path, through_edge=True)
    assert views_called == [NUMBER]

    officer = get(path, through_edge=True, client=verified_client(olivia))
    assert views_called == [NUMBER, NUMBER]
    assert officer.status_code == 200
    page = officer.content.decode()
    assert "Sign out" in page
    assert "Dashboard" in page
    assert "Sign out" not in anonymous.content.decode()


def test_any_cookie_takes_the_stack(certificate, redis_store, views_called):
    path = qr_url(NUMBER, CODE)
    get(path, through_edge=True)
    client = Client()
    client.cookies["seen-before"] = "1"
    assert get(path, through_edge=True, client=client).status_code == 200
    assert views_called == [NUMBER, NUMBER]


@pytest.mark.parametrize(
    "query", ["code=K7PX2M9QRT4W&utm_source=qr", "code=k7px+2m9q", "code=K7PX%202M9QRT4W", ""]
)
def test_a_query_other_than_a_plain_code_takes_the_stack(
    certificate, redis_store, views_called, query
):
    get(qr_url(NUMBER, CODE), through_edge=True)
    path = qr_url(NUMBER, CODE).split("?")[0] + "?" + query
    from_edge = get(path, through_edge=True)
    # Without a code the QR link asks for one, nothing looked up; else the view looks it up.
    assert views_called == ([NUMBER] if query == "" else [NUMBER, NUMBER])
    same(from_edge, get(path, through_edge=False))


def test_a_head_request_and_a_post_take_the_stack(certificate, redis_store, round_trips):
    path = api_url(NUMBER, CODE)
    get(path, through_edge=True)
    round_trips.clear()
    assert Client().head(path).status_code == 405
    assert Client().post(path).status_code in (403, 405)
    assert round_trips == []


def test_with_redis_unreachable_the_view_answers_from_the_database_after_one_try(
    certificate, settings, views_called, round_trips
):
    settings.REDIS_URL = DEAD_REDIS
    response = get(api_url(NUMBER, CODE), through_edge=True)
    assert response.status_code == 200
    assert response.json()["status"] == "valid"
    assert views_called == [NUMBER]
    assert len(round_trips) == 1  # the edge's try; the view did not try again
    assert VerificationLog.objects.filter(certificate=certificate, channel="api").count() == 1


def test_without_redis_the_edge_answers_nothing(certificate, settings, views_called):
    settings.REDIS_URL = ""
    assert get(qr_url(NUMBER, CODE), through_edge=True).status_code == 200
    assert get(qr_url(NUMBER, CODE), through_edge=True).status_code == 200
    assert views_called == [NUMBER, NUMBER]


def test_a_changed_middleware_stack_switches_the_edge_off(
    certificate, redis_store, views_called, settings
):
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, "tests.verification.test_edge.Marker"]
    path = qr_url(NUMBER, CODE)
    get(path, through_edge=True)
    assert get(path, through_edge=True)["X-Marker"] == "1"
    assert views_called == [NUMBER, NUMBER]


class Marker:
    """A middleware the edge was not reviewed for."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Marker"] = "1"
        return response


def test_the_reviewed_stack_is_the_portals():
    assert edge._after_this(list(django_settings.MIDDLEWARE)) == edge.STACK_REVIEWED


def test_a_lookup_begun_for_another_request_is_not_used(certificate, redis_store, round_trips):
    begun = services.verification_lookup_begin(
        number=NUMBER,
        code="WRONGCODE123",
        channel=VerificationLog.Channel.API,
        client_address="203.0.113.7",
        kinds=frozenset({"document"}),
    )
    assert isinstance(begun, services.LookupBegun)
    answer = services.verification_lookup(
        number=NUMBER,
        code=CODE,
        channel=VerificationLog.Channel.API,
        client_address="203.0.113.7",
        kinds=frozenset({"document"}),
        begun=begun,
    )
    assert answer is not None
    assert answer.certificate_id == certificate.pk
    assert len(round_trips) == 2  # the other code's result was not taken for this one


def test_a_changed_policy_shows_in_the_edges_next_answer(certificate, redis_store, settings):
    path = api_url(NUMBER, CODE)
    get(path, through_edge=True)
    assert "script-src 'self'" in get(path, through_edge=True)["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    from_edge = get(path, through_edge=True)
    assert from_edge["Content-Security-Policy"] == "default-src 'none'"
    same(from_edge, get(path, through_edge=False))
