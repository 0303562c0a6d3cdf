"""Acceptance 5: each lookup writes one log entry, and the log holds no raw address."""

from __future__ import annotations

import pytest
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.verification.helpers import look_up
from verification.models import VerificationLog
from verification.selectors import verification_history, verification_summary
from verification.services import client_hash

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
ADDRESS = "203.0.113.7"


@pytest.mark.parametrize(
    ("channel", "code", "outcome", "logged_certificate"),
    [
        ("page", CODE, "found", True),
        ("qr", CODE, "found", True),
        ("api", CODE, "found", True),
        ("page", "WRONG", "not_found", False),
        ("qr", "WRONG", "not_found", False),
        ("api", "WRONG", "not_found", False),
    ],
)
def test_each_lookup_writes_one_entry(
    client, certificate, channel, code, outcome, logged_certificate
):
    look_up(client, channel, NUMBER, code, REMOTE_ADDR=ADDRESS)
    entry = VerificationLog.objects.get()
    assert entry.channel == channel
    assert entry.outcome == outcome
    assert entry.certificate == (certificate if logged_certificate else None)
    assert entry.client_hash == client_hash(ADDRESS)


def test_an_upload_writes_one_entry(client, certificate):
    upload = SimpleUploadedFile("x.pdf", b"not a pdf at all", content_type="application/pdf")
    client.post(reverse("verification:document"), {"document": upload}, REMOTE_ADDR=ADDRESS)
    entry = VerificationLog.objects.get()
    assert (entry.channel, entry.outcome, entry.certificate) == ("upload", "refused", None)


def test_the_log_holds_no_raw_address(client, certificate):
    for channel in ("page", "qr", "api"):
        look_up(client, channel, NUMBER, CODE, REMOTE_ADDR=ADDRESS)
    dump = serializers.serialize("json", VerificationLog.objects.all())
    assert VerificationLog.objects.count() == 3
    assert ADDRESS not in dump
    assert ADDRESS.replace(".", "") not in dump


def test_the_address_hash_is_keyed_with_the_salt(settings):
    settings.VERIFICATION_LOG_SALT = "one salt"
    first = client_hash(ADDRESS)
    settings.VERIFICATION_LOG_SALT = "another salt"
    assert client_hash(ADDRESS) != first
    assert len(first) == 64


def test_opening_the_form_logs_nothing(client):
    client.get(reverse("verification:verify"))
    assert not VerificationLog.objects.exists()


def test_the_summary_counts_successful_verifications_and_the_last_time(client, certificate):
    assert verification_summary(certificate) == (0, None)
    look_up(client, "qr", NUMBER, CODE)
    look_up(client, "api", NUMBER, CODE)
    look_up(client, "page", NUMBER, "WRONG")
    count, last_at = verification_summary(certificate)
    assert count == 2
    assert (
        last_at
        == VerificationLog.objects.filter(certificate=certificate).latest("created_at").created_at
    )
    assert [e.channel for e in verification_history(certificate)] == ["api", "qr"]
