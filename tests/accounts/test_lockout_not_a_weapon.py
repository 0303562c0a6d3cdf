"""The lock after wrong passwords protects the account without becoming a weapon (issue 18,
finding 5): trying during a lock does not move its end; the owner lifts it by resetting the
password, an officer's agency administrator with an admin action; a noisy address does not
shut out the accounts known there; parallel attempts check no more passwords than the limit."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.lockout import locked_until
from accounts.models import User
from tests.clients import verified_client
from tests.concurrency import run_together
from tests.factories import DEFAULT_PASSWORD

from .conftest import login_data
from .test_login_and_lockout import grant_agency_admin_permissions

LOGIN = "/accounts/login/"
OFFICER_LOGIN = "/accounts/officer/login/"


def wrong(client: Client, iec: str = "0123456789"):
    return client.post(LOGIN, login_data(iec, "wrong password"))


def officer_data(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password, "captcha_0": "x", "captcha_1": "PASSED"}


@pytest.mark.django_db
def test_trying_during_a_lock_does_not_move_its_end(client, alice):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            wrong(client)
        end = locked_until("0123456789")
        assert end == timezone.localtime(start + timedelta(minutes=30))

        clock.shift(20 * 60)  # a stranger keeps trying, the owner too
        for _ in range(5):
            assert wrong(client).status_code == 429
            assert client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 429
        assert locked_until("0123456789") == end
        assert AccessAttempt.objects.get(username="0123456789").failures_since_start == 5

        clock.shift(9 * 60 + 59)  # one second before the end: still locked
        assert client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 429
        assert "_auth_user_id" not in client.session
        clock.shift(2)  # the end came 30 minutes after the fifth failure, not after the last try
        response = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == alice.pk


@pytest.mark.django_db
def test_an_agency_administrator_unlocks_their_own_officer(ada, olivia):
    officer = Client()
    for _ in range(5):
        officer.post(OFFICER_LOGIN, officer_data("olivia", "wrong password"))
    assert officer.post(OFFICER_LOGIN, officer_data("olivia", DEFAULT_PASSWORD)).status_code == 429
    grant_agency_admin_permissions(ada)
    response = verified_client(ada).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [olivia.pk]},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="OLIVIA").exists()
    response = officer.post(OFFICER_LOGIN, officer_data("olivia", DEFAULT_PASSWORD))
    assert response["Location"].startswith(reverse("accounts:officer-otp"))


@pytest.mark.django_db
def test_an_agency_administrator_cannot_unlock_another_agencys_officer(ada, oscar):
    for _ in range(5):
        Client().post(OFFICER_LOGIN, officer_data("oscar", "wrong password"))
    grant_agency_admin_permissions(ada)
    verified_client(ada).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [oscar.pk]},
    )
    assert AccessAttempt.objects.get(username="OSCAR").failures_since_start == 5


def make_noisy(client: Client, settings, failures: int = 50) -> None:
    """`failures` wrong passwords from this client's address, against other accounts."""
    settings.LOGIN_FAILURES_PER_IP_PER_HOUR = failures
    for n in range(failures):
        wrong(client, iec=f"{3000000000 + n}")


@pytest.mark.django_db
def test_a_correct_password_from_an_address_with_50_failures_against_others_still_signs_in(
    client, alice, settings
):
    """Alice signs in from her office every day; a colleague's machine behind the same address
    then fails 50 times against other IECs."""
    office = Client()
    assert office.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302
    make_noisy(client, settings)
    response = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == alice.pk


@pytest.mark.django_db
def test_a_noisy_address_cannot_go_on_spraying_accounts_never_signed_in_from_there(
    client, bob, settings
):
    make_noisy(client, settings)
    with mock.patch.object(User, "check_password", autospec=True) as check:
        response = client.post(LOGIN, login_data("BOBEX1234B", DEFAULT_PASSWORD))
    assert response.status_code == 429
    assert "too many failed sign-ins from your network" in response.content.decode()
    assert check.call_count == 0  # refused before any password is tried


@pytest.mark.django_db
def test_a_noisy_address_loses_an_account_it_failed_against_even_after_the_lock_ends(
    client, alice, settings
):
    """Failures are counted per account and address too: past the lock, the address that
    caused it stays shut out of that account for the hour, while other addresses are not."""
    assert Client().post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            wrong(client)
        make_noisy(client, settings, failures=10)
        clock.shift(31 * 60)  # the account's lock has ended
        refused = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
        assert refused.status_code == 429
        assert "too many failed sign-ins from your network" in refused.content.decode()
        elsewhere = Client(REMOTE_ADDR="10.1.2.3")
        assert elsewhere.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_20_parallel_wrong_attempts_check_at_most_5_passwords(alice):
    if connection.vendor != "postgresql":
        pytest.skip(f"the race needs PostgreSQL (DATABASE_URL); this run uses {connection.vendor}")
    checked, lock = [], threading.Lock()
    original = User.check_password

    def counting(user: User, raw: str) -> bool:
        with lock:
            checked.append(user.username)
        return original(user, raw)

    def attack() -> int:
        attacker = Client(raise_request_exception=False)
        return attacker.post(LOGIN, login_data("0123456789", "guess")).status_code

    with mock.patch.object(User, "check_password", counting):
        statuses = run_together(20, attack)

    assert len(statuses) == 20
    assert set(statuses) <= {200, 429}, statuses
    assert 1 <= len(checked) <= 5, checked
    assert AccessAttempt.objects.get(username="0123456789").failures_since_start == 5
    owner = Client()
    assert owner.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 429
