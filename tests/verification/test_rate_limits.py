"""Acceptance 4: the 31st lookup within a minute from one address is refused; others go on."""

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


def test_the_page_says_so_in_plain_text(client, certificate):
    for _ in range(31):
        response = look_up(client, "page", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode().startswith("Too many requests from your address.")


def test_the_api_says_so_in_json(client, certificate):
    for _ in range(31):
        response = look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"


def test_misses_count_as_much_as_hits(client, certificate):
    for _ in range(30):
        look_up(client, "qr", NUMBER, "GUESS", REMOTE_ADDR=ALICE_BANK)
    assert look_up(client, "qr", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK).status_code == 429


def test_page_and_api_are_counted_separately(client, certificate):
    for _ in range(30):
        look_up(client, "page", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK)
    assert look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=ALICE_BANK).status_code == 200


def test_opening_the_empty_form_is_not_a_lookup(client, certificate):
    for _ in range(40):
        response = client.get(reverse("verification:verify"), REMOTE_ADDR=ALICE_BANK)
    assert response.status_code == 200


def test_uploads_are_limited_too(client, certificate):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("verification:document")
    for _ in range(30):
        upload = SimpleUploadedFile("x.txt", b"not a pdf", content_type="text/plain")
        response = client.post(url, {"document": upload}, REMOTE_ADDR=ALICE_BANK)
        assert response.status_code == 200
    upload = SimpleUploadedFile("x.txt", b"not a pdf", content_type="text/plain")
    assert client.post(url, {"document": upload}, REMOTE_ADDR=ALICE_BANK).status_code == 429
    # The upload form itself still opens.
    assert client.get(url, REMOTE_ADDR=ALICE_BANK).status_code == 200
