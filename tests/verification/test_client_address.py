"""Behind the proxy: X-Forwarded-For is believed only from TRUSTED_PROXIES, read from the right,
and every rate limit, lockout and log counts the address it yields."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from core.clientip import client_ip
from tests.accounts.conftest import login_data
from tests.factories import DEFAULT_PASSWORD
from tests.verification.helpers import look_up
from verification.models import VerificationLog
from verification.services import client_hash

PROXY = "10.0.0.5"
ALICE_BANK, CUSTOMS, MALLORY = "203.0.113.7", "198.51.100.23", "192.0.2.66"
NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"


@pytest.fixture(autouse=True)
def _proxy_trusted(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "::1"]


def address(remote: str, forwarded: str | None = None) -> str:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_without_a_proxy_the_peer_is_the_client():
    assert address(ALICE_BANK) == ALICE_BANK


def test_a_trusted_proxy_passes_the_client_address():
    assert address(PROXY, ALICE_BANK) == ALICE_BANK


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored():
    assert address(MALLORY, ALICE_BANK) == MALLORY


def test_addresses_the_client_wrote_left_of_its_own_are_ignored():
    # Mallory sends "X-Forwarded-For: 203.0.113.7"; nginx appends Mallory's real address.
    assert address(PROXY, f"{ALICE_BANK}, {MALLORY}") == MALLORY


def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop():
    assert address(PROXY, f"{MALLORY}, {ALICE_BANK}, 10.0.0.9") == ALICE_BANK


def test_garbage_in_the_chain_stops_the_walk_at_the_last_readable_hop():
    assert address(PROXY, "not-an-address") == PROXY
    assert address(PROXY, f"{ALICE_BANK}, nonsense, 10.0.0.9") == "10.0.0.9"


def test_ports_brackets_and_mapped_ipv4_are_read_as_addresses():
    assert address(PROXY, "203.0.113.7:51234") == ALICE_BANK
    assert address("::1", "[2001:db8::7]:443") == "2001:db8::7"
    assert address("::ffff:203.0.113.7") == ALICE_BANK


def test_no_trusted_proxies_means_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    assert address(PROXY, ALICE_BANK) == PROXY


def test_a_malformed_trusted_proxy_setting_fails_loudly(monkeypatch):
    import importlib

    from coo_portal import settings as settings_module

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/24,proxy.internal")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        importlib.reload(settings_module)
    monkeypatch.delenv("TRUSTED_PROXIES")
    importlib.reload(settings_module)


# ---------------------------------------------------------------------------------------------
# Acceptance 2, through the test client: the limits count the real clients behind the proxy
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def _thirty_a_minute(settings):
    settings.VERIFY_RATE = "30/m"
    cache.clear()
    with time_machine.travel(dt.datetime(2026, 3, 4, 11, 30, 5, tzinfo=dt.UTC), tick=False):
        yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("_thirty_a_minute")
def test_two_clients_behind_the_proxy_are_rate_limited_separately(client, certificate):
    for _ in range(30):
        response = look_up(
            client, "api", NUMBER, CODE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALICE_BANK
        )
        assert response.status_code == 200
    alice = look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALICE_BANK)
    customs = look_up(client, "api", NUMBER, CODE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CUSTOMS)
    assert (alice.status_code, customs.status_code) == (429, 200)


@pytest.mark.django_db
@pytest.mark.usefixtures("_thirty_a_minute")
def test_a_claimed_address_from_outside_the_proxies_counts_as_the_sender(client, certificate):
    # Mallory, connecting directly, claims a fresh address each time: all count as Mallory's.
    for n in range(30):
        claimed = f"198.18.0.{n}"
        look_up(client, "page", NUMBER, CODE, REMOTE_ADDR=MALLORY, HTTP_X_FORWARDED_FOR=claimed)
    refused = look_up(
        client, "page", NUMBER, CODE, REMOTE_ADDR=MALLORY, HTTP_X_FORWARDED_FOR="198.18.0.99"
    )
    assert refused.status_code == 429
    # ... and the one whose address Mallory claimed is not held back by it.
    spoofed = look_up(
        client, "page", NUMBER, CODE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.18.0.1"
    )
    assert spoofed.status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("_thirty_a_minute")
def test_the_upload_limit_counts_the_client_behind_the_proxy(client, certificate, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    settings.VERIFY_RATE = "2/m"
    url = reverse("verification:document")

    def upload(forwarded: str):
        document = SimpleUploadedFile("x.pdf", b"not a pdf", content_type="application/pdf")
        return client.post(
            url, {"document": document}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        )

    assert [upload(ALICE_BANK).status_code for _ in range(3)][-1] == 429
    assert upload(CUSTOMS).status_code != 429


@pytest.mark.django_db
def test_the_verification_log_records_the_client_not_the_proxy(client, certificate):
    look_up(client, "qr", NUMBER, CODE, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALICE_BANK)
    assert VerificationLog.objects.get().client_hash == client_hash(ALICE_BANK)


@pytest.mark.django_db
def test_sign_in_failures_are_counted_per_client_behind_the_proxy(client, alice, settings):
    settings.LOGIN_FAILURES_PER_IP_PER_HOUR = 3
    behind = {"REMOTE_ADDR": PROXY}
    for n in range(3):
        client.post(
            "/accounts/login/",
            login_data(f"{3000000000 + n}", "guess"),
            HTTP_X_FORWARDED_FOR=MALLORY,
            **behind,
        )
    blocked = client.post(
        "/accounts/login/",
        login_data("0123456789", DEFAULT_PASSWORD),
        HTTP_X_FORWARDED_FOR=MALLORY,
        **behind,
    )
    assert blocked.status_code == 429
    signed_in = client.post(
        "/accounts/login/",
        login_data("0123456789", DEFAULT_PASSWORD),
        HTTP_X_FORWARDED_FOR=ALICE_BANK,
        **behind,
    )
    assert signed_in.status_code == 302
