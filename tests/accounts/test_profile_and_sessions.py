"""The profile page (read-only IEC record, activity) and the 30-minute idle session."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD

from .conftest import login_data

pytestmark = pytest.mark.django_db


def signed_in(iec: str = "0123456789") -> Client:
    client = Client()
    assert client.post("/accounts/login/", login_data(iec, DEFAULT_PASSWORD)).status_code == 302
    return client


def test_the_profile_shows_the_iec_record_read_only_and_recent_sign_ins(alice):
    client = signed_in()
    response = client.get(reverse("accounts:profile"))
    body = response.content.decode()
    record = alice.exporter_profile.iec_record
    for value in (record.iec, "Alice Exports", record.email):
        assert value in body
    assert "Signed in" in body
    assert 'type="text"' not in body
    assert 'type="email"' not in body


def test_the_profile_shows_only_your_own_activity(alice, bob):
    signed_in("BOBEX1234B")
    body = signed_in().get(reverse("accounts:profile")).content.decode()
    assert "BOBEX1234B" not in body
    assert "Bob Traders" not in body


def test_a_session_expires_after_30_minutes_without_activity_with_a_clear_message(alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in()
        clock.shift(29 * 60)
        assert client.get(reverse("accounts:profile")).status_code == 200
        clock.shift(29 * 60)  # activity restarted the clock
        assert client.get(reverse("accounts:profile")).status_code == 200
        clock.shift(31 * 60)
        response = client.get(reverse("accounts:profile"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "Your session expired after 30 minutes without activity" in response.content.decode()


def test_signing_out_does_not_claim_the_session_expired(alice):
    client = signed_in()
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You have signed out." in response.content.decode()
    assert "expired" not in client.get(reverse("accounts:login")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_for_the_profile(client, db):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
