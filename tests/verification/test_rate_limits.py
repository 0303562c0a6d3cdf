"""The 31st lookup within a minute from one address is refused; others go on.

Issue 18, acceptance 8: the limit is one count across page, QR link, API and upload together
(30 a minute in all, not 30 per channel), with Redis (the lookup script in verification/store.py)
and without (Django's cache). A miss leaves no Redis key but the client's one counter.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from tests.verification.helpers import look_up

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
ALICE_BANK, CUSTOMS = "203.0.113.7", "198.51.100.23"


@pytest.fixture(autouse=True)
def _thirty_a_minute(settings):
    settings.VERIFY_RATE = "30/m"
    cache.clear()  # counters live in the cache (Redis when REDIS_URL is set)
    # django-ratelimit counts in fixed windows: keep the clock still so that no test straddles
    # the end of one.
    with time_machine.travel(dt.datetime(2026, 3, 4, 11, 30, 5, tzinfo=dt.UTC), tick=False):
        yield
    cache.clear()


@pytest.mark.parametrize("channel", ["page", "qr", "api"])
def test_the_31st_lookup_in_a_minute_gets_429_and_another_address_is_unaffected(
    client, certificate, channel
):
    for _ in range(30):
        response = look_up(client, channel, NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
        assert response.status_code == 200
    refused = look_up(client, channel, NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    other = look_up(client, channel, NUMBER, CODE, REMOTE_ADDR=CUSTOMS)
    assert other.status_code == 200


def test_the_page_says_so_on_a_page_of_the_site(client, certificate):
    for _ in range(31):
        response = look_up(client, "page", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert response["Content-Type"].startswith("text/html")
    assert [t.name for t in response.templates][:2] == ["errors/429.html", "base.html"]
    page = response.content.decode()
    assert "<h1>Too many requests</h1>" in page
    assert "Too many requests from your address. Wait a minute, then try again." in page
    assert 'class="site-header"' in page  # the layout: the way home and to help


def test_the_api_says_so_in_json(client, certificate):
    for _ in range(31):
        response = look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"


def test_misses_count_as_much_as_hits(client, certificate):
    for _ in range(30):
        look_up(client, "qr", NUMBER, "GUESS", REMOTE_ADDR=ALICE_BANK)
    assert look_up(client, "qr", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK).status_code == 429


def check_upload(client, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
    return client.post(reverse("verification:document"), {"document": upload}, **extra)


CHANNELS = {
    "page": lambda client: look_up(client, "page", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK),
    "qr": lambda client: look_up(client, "qr", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK),
    "api": lambda client: look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK),
    "upload": lambda client: check_upload(client, REMOTE_ADDR=ALICE_BANK),
}


@pytest.mark.parametrize("last", sorted(CHANNELS))
def test_page_api_and_upload_share_one_limit_of_30_a_minute(client, certificate, last):
    for channel in ("page", "api", "upload"):
        for _ in range(10):
            assert CHANNELS[channel](client).status_code == 200, channel
    refused = CHANNELS[last](client)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=CUSTOMS).status_code == 200


def test_the_pdf_download_counts_in_the_same_limit(client, certificate):
    for _ in range(15):
        look_up(client, "qr", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
        check_upload(client, REMOTE_ADDR=ALICE_BANK)
    url = reverse("verification:pdf", kwargs={"number": NUMBER}) + f"?code={CODE}"
    assert client.get(url, REMOTE_ADDR=ALICE_BANK).status_code == 429


@pytest.mark.redis
def test_with_redis_a_miss_leaves_no_key_but_the_one_rate_counter(client, certificate, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: without Redis nothing is kept there")
    from verification import store

    redis = store._client()
    redis.flushdb()
    look_up(client, "api", NUMBER, "WRONGCODE999", REMOTE_ADDR=ALICE_BANK)
    for n in range(12):  # unknown numbers, by every channel
        look_up(
            client,
            ("page", "qr", "api")[n % 3],
            f"EIC/2026/MUM/{n:07}",
            CODE,
            REMOTE_ADDR=ALICE_BANK,
        )
    check_upload(client, REMOTE_ADDR=ALICE_BANK)

    keys = sorted(key.decode() for key in redis.keys("*"))
    counters = [key for key in keys if ":verify:rl:" in key]
    assert len(counters) == 1, keys
    assert int(redis.get(counters[0])) == 14  # one count for all 14 requests
    # Besides the counter, only the log queue (one list for every client) holds anything.
    assert set(keys) - set(counters) <= {f"{settings.CACHE_KEY_PREFIX}:verify:log"}, keys

    # A hit makes the certificate's token and kept answer, and nothing per guess.
    assert look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK).status_code == 200
    prefix = f"{settings.CACHE_KEY_PREFIX}:verify"
    made = {key.decode() for key in redis.keys("*")} - set(keys)
    assert (
        {f"{prefix}:t:{NUMBER}", f"{prefix}:a:{NUMBER}"}
        <= made
        <= {
            f"{prefix}:t:{NUMBER}",
            f"{prefix}:a:{NUMBER}",
            f"{prefix}:log",
        }
    )
