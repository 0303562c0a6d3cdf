"""Attacks on signing in: open redirects through next=, session fixation, replayed and
expired email links, guessing one-time codes, and the IEC lock under parallel attempts."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
import time_machine
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import IECRecord, User
from tests import factories
from tests.accounts.conftest import code_from_sms, link_from_mail, login_data, path_of
from tests.concurrency import run_together
from tests.factories import DEFAULT_PASSWORD

LOGIN = "/accounts/login/"
OFFICER_LOGIN = "/accounts/officer/login/"
OFFICER_OTP = "/accounts/officer/verify/"
NEW_PASSWORD = "Lantern-Quay-5829-x"

HOSTILE_NEXT = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(document.cookie)",
    "https:evil.example",
    "///evil.example/",
    " //evil.example",
]


def assert_stays_on_site(location: str) -> None:
    parts = urlsplit(location)
    assert parts.scheme in {"", "http"}, location
    assert parts.netloc in {"", "testserver"}, location
    assert location.startswith("/"), location
    assert not location.startswith(("//", "/\\")), location


def officer_data(username: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    return {"username": username, "password": password, "captcha_0": "x", "captcha_1": "PASSED"}


@pytest.fixture
def olivia_device(olivia) -> TOTPDevice:
    return TOTPDevice.objects.create(user=olivia, name="phone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"


# ---------------------------------------------------------------------------------------------
# Open redirects
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_exporter_login_never_redirects_off_site(client, alice, target):
    response = client.post(
        f"{LOGIN}?{urlencode({'next': target})}", login_data("0123456789", DEFAULT_PASSWORD)
    )
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])
    assert response["Location"] == reverse("applications:list") or response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_a_hostile_next_in_the_login_form_body_is_ignored_too(client, alice, target):
    data = login_data("0123456789", DEFAULT_PASSWORD, next=target)
    response = client.post(LOGIN, data)
    assert_stays_on_site(response["Location"])


@pytest.mark.django_db
def test_the_exporter_login_still_follows_a_local_next(client, alice):
    response = client.post(
        f"{LOGIN}?next=/accounts/profile/", login_data("0123456789", DEFAULT_PASSWORD)
    )
    assert response["Location"] == "/accounts/profile/"


@pytest.mark.django_db
@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_officer_login_and_totp_step_never_redirect_off_site(
    client, olivia, olivia_device, target
):
    query = urlencode({"next": target})
    response = client.post(f"{OFFICER_LOGIN}?{query}", officer_data("olivia"))
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])
    assert target not in response["Location"]

    # The attacker's link may point at the TOTP step directly.
    response = client.post(
        f"{OFFICER_OTP}?{query}", {"code": current_code(olivia_device), "next": target}
    )
    assert response.status_code == 302
    assert_stays_on_site(response["Location"])
    assert response["Location"] == reverse("officer:queue")


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["//evil.example", "javascript:alert(1)"])
def test_the_login_pages_echo_a_hostile_next_only_escaped(client, target):
    hostile = target + '"><script>alert(1)</script>'
    for page in (LOGIN, OFFICER_LOGIN):
        body = client.get(f"{page}?{urlencode({'next': hostile})}").content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;" in body or 'name="next"' not in body


# ---------------------------------------------------------------------------------------------
# Session fixation
# ---------------------------------------------------------------------------------------------


def planted_session(client: Client) -> str:
    """A session the attacker created and planted in the victim's browser."""
    session = client.session
    session["planted"] = True
    session.save()
    client.cookies["sessionid"] = session.session_key
    return session.session_key


def is_signed_in(session_key: str) -> bool:
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    return "_auth_user_id" in store.load()


@pytest.mark.django_db
def test_the_exporters_session_key_changes_at_login(client, alice):
    planted = planted_session(client)
    assert client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302
    assert client.session.session_key != planted
    assert not is_signed_in(planted)


@pytest.mark.django_db
def test_the_officers_session_key_changes_at_the_password_and_again_at_the_totp_step(
    client, olivia, olivia_device
):
    planted = planted_session(client)
    assert client.post(OFFICER_LOGIN, officer_data("olivia")).status_code == 302
    after_password = client.session.session_key
    assert after_password != planted
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in

    assert client.post(OFFICER_OTP, {"code": current_code(olivia_device)}).status_code == 302
    after_totp = client.session.session_key
    assert after_totp not in {planted, after_password}
    assert int(client.session["_auth_user_id"]) == olivia.pk
    assert not is_signed_in(planted)
    assert not is_signed_in(after_password)


# ---------------------------------------------------------------------------------------------
# Email links: once, and not after they expire
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def chitra(db) -> IECRecord:
    """An active IEC in the registry, not yet registered."""
    return factories.IECRecordFactory(
        iec="AAGCC4821K",
        firm_name="Chitra Coir Works",
        email="coo@chitra-coir.example",
        mobile="+919847012345",
    )


def start_registration(client: Client, record: IECRecord, capture) -> None:
    data = {
        "iec": record.iec,
        "email": record.email,
        "mobile": record.mobile[3:],
        "captcha_0": "x",
        "captcha_1": "PASSED",
    }
    with capture(execute=True):
        response = client.post(reverse("accounts:register"), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def ask_for_reset(client: Client, iec: str, capture) -> None:
    with capture(execute=True):
        client.post(
            reverse("accounts:password-reset"),
            {"iec": iec, "captcha_0": "x", "captcha_1": "PASSED"},
        )


@pytest.mark.django_db
def test_a_password_reset_link_works_once(
    client, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    ask_for_reset(client, "0123456789", django_capture_on_commit_callbacks)
    link = path_of(link_from_mail())
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(link)["Location"] == reverse("accounts:password-reset-otp")
    data = {"code": code_from_sms(sms_outbox), "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password-reset-otp"), data)
    assert response["Location"] == reverse("accounts:password-reset-complete")

    replay = Client().get(link)
    assert replay.status_code == 400
    assert "This link is not valid" in replay.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_a_password_reset_link_has_expired_after_an_hour(
    client, alice, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        ask_for_reset(client, "0123456789", django_capture_on_commit_callbacks)
        link = path_of(link_from_mail())
        clock.shift(61 * 60)
        response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert "accounts:reset" not in client.session


@pytest.mark.django_db
def test_an_email_verification_link_works_once(
    client, chitra, mail_outbox, django_capture_on_commit_callbacks
):
    start_registration(client, chitra, django_capture_on_commit_callbacks)
    link = path_of(link_from_mail())
    assert client.get(link)["Location"] == reverse("accounts:register-otp")

    replay = Client().get(link)
    assert replay.status_code == 400
    assert "already been used" in replay.content.decode()


@pytest.mark.django_db
def test_an_email_verification_link_has_expired_after_24_hours(
    client, chitra, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        start_registration(client, chitra, django_capture_on_commit_callbacks)
        link = path_of(link_from_mail())
        clock.shift(24 * 60 * 60 + 60)
        response = Client().get(link)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    user = User.objects.get(username=chitra.iec)
    assert user.exporter_profile.email_verified_at is None


# ---------------------------------------------------------------------------------------------
# Guessing one-time codes
# ---------------------------------------------------------------------------------------------


def at_mobile_step(client: Client, record: IECRecord, capture) -> None:
    start_registration(client, record, capture)
    client.get(path_of(link_from_mail()))


@pytest.mark.django_db
def test_the_sixth_wrong_sms_code_is_locked_out_and_then_even_the_right_code_is_refused(
    client, chitra, sms_outbox, django_capture_on_commit_callbacks
):
    at_mobile_step(client, chitra, django_capture_on_commit_callbacks)
    right = code_from_sms(sms_outbox)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page = reverse("accounts:register-otp")

    for _ in range(4):
        assert (
            "The code is not right. Check the SMS"
            in client.post(page, {"code": wrong}).content.decode()
        )
    assert "that was the last try" in client.post(page, {"code": wrong}).content.decode()
    assert "wrong code 5 times" in client.post(page, {"code": wrong}).content.decode()

    response = client.post(page, {"code": right})
    assert response.status_code == 200
    assert "wrong code 5 times" in response.content.decode()
    user = User.objects.get(username=chitra.iec)
    assert user.exporter_profile.mobile_verified_at is None


@pytest.mark.django_db
def test_asking_for_a_new_sms_code_at_once_is_throttled(
    client, chitra, sms_outbox, django_capture_on_commit_callbacks
):
    at_mobile_step(client, chitra, django_capture_on_commit_callbacks)
    sent = len(sms_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:register-otp-resend"), follow=True)
    assert "less than a minute ago" in response.content.decode()
    assert len(sms_outbox) == sent


@pytest.mark.django_db
def test_at_most_five_sms_codes_an_hour_even_a_minute_apart(
    client, chitra, sms_outbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        at_mobile_step(client, chitra, django_capture_on_commit_callbacks)
        resend = reverse("accounts:register-otp-resend")
        for _ in range(4):
            clock.shift(61)
            with django_capture_on_commit_callbacks(execute=True):
                client.post(resend)
        sent = len(sms_outbox)
        assert sent == 5
        clock.shift(61)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(resend, follow=True)
    assert "at most 5 codes an hour" in response.content.decode()
    assert len(sms_outbox) == sent


@pytest.mark.django_db
def test_a_right_totp_code_after_wrong_ones_is_refused_while_throttled(
    client, olivia, olivia_device
):
    with time_machine.travel(timezone.now(), tick=False):
        client.post(OFFICER_LOGIN, officer_data("olivia"))
        for _ in range(4):
            client.post(OFFICER_OTP, {"code": wrong_code(olivia_device)})
        fifth = client.post(OFFICER_OTP, {"code": wrong_code(olivia_device)}, follow=True)
        assert "Too many wrong codes. Start again" in fifth.content.decode()
        # Starting again with the password does not clear the authenticator's throttle.
        client.post(OFFICER_LOGIN, officer_data("olivia"))
        response = client.post(OFFICER_OTP, {"code": current_code(olivia_device)})
    assert response.status_code == 200
    assert "The username, password or code is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session
    olivia_device.refresh_from_db()
    assert olivia_device.throttling_failure_count >= 1


# ---------------------------------------------------------------------------------------------
# The lock under parallel attempts (PostgreSQL)
# ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_parallel_wrong_passwords_lock_the_iec_and_the_right_password_is_refused(alice):
    if connection.vendor != "postgresql":
        pytest.skip(
            f"parallel lockout needs PostgreSQL (DATABASE_URL); this run uses {connection.vendor}"
        )

    def attack() -> int:
        attacker = Client(raise_request_exception=False)
        return attacker.post(LOGIN, login_data("0123456789", "guess")).status_code

    statuses = run_together(10, attack)

    assert len(statuses) == 10
    assert set(statuses) <= {200, 429}, statuses  # a refusal or the lock, never a 500
    assert AccessAttempt.objects.get(username="0123456789").failures_since_start >= 5

    owner = Client()
    response = owner.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert response.status_code == 429
    assert "_auth_user_id" not in owner.session
