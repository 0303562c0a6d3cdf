"""/admin/ signs in through the officer sign-in (issue 18, finding 6): the CAPTCHA, the lock,
the per-address limit and the TOTP step, with answers that never say the password was right."""

from __future__ import annotations

from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

OFFICER_LOGIN = reverse("accounts:officer-login")


def sign_in_data(username: str, password: str, **extra: str) -> dict[str, str]:
    return {
        "username": username,
        "password": password,
        "captcha_0": "x",
        "captcha_1": "PASSED",
        **extra,
    }


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def operator(db) -> User:
    """Platform staff: a superuser with an authenticator, who uses nothing but /admin/."""
    user = UserFactory(username="ops", role="operator", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def test_the_admin_login_page_sends_everyone_to_the_officer_sign_in_with_next(client, db):
    response = client.get(reverse("admin:login") + "?next=/admin/accounts/user/")
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == OFFICER_LOGIN
    assert parse_qs(parts.query)["next"] == ["/admin/accounts/user/"]
    entry = client.get("/admin/", follow=True).redirect_chain[-1][0]
    assert urlsplit(entry).path == OFFICER_LOGIN
    assert parse_qs(urlsplit(entry).query)["next"] == ["/admin/"]


def test_a_password_posted_to_the_admin_login_is_never_checked(client, operator):
    with mock.patch.object(User, "check_password", autospec=True) as check:
        response = client.post(
            reverse("admin:login"),
            {"username": "ops", "password": DEFAULT_PASSWORD, "otp_token": "123456"},
        )
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == OFFICER_LOGIN
    assert check.call_count == 0
    assert "_auth_user_id" not in client.session


def test_a_hostile_next_on_the_admin_login_is_dropped(client, db):
    response = client.get(reverse("admin:login") + "?next=https://evil.example/")
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [reverse("admin:index")]


def test_staff_reach_admin_after_the_password_the_captcha_and_the_code(client, operator):
    entry = client.get("/admin/accounts/user/", follow=True)
    assert entry.redirect_chain[-1][0].startswith(OFFICER_LOGIN)
    response = client.post(
        entry.redirect_chain[-1][0], sign_in_data("ops", DEFAULT_PASSWORD, next="/admin/")
    )
    assert response["Location"].startswith(reverse("accounts:officer-otp"))
    assert client.get("/admin/").status_code == 302  # not on the password alone
    device = TOTPDevice.objects.get(user=operator)
    response = client.post(response["Location"], {"code": current_code(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_sign_in_asks_for_the_captcha(client, operator):
    response = client.post(OFFICER_LOGIN, sign_in_data("ops", DEFAULT_PASSWORD, captcha_1="NO"))
    assert "do not match the image" in response.content.decode()
    assert "accounts:officer_pending" not in client.session


def test_the_admin_sign_in_is_locked_like_the_officers(client, operator):
    for _ in range(5):
        client.post(OFFICER_LOGIN, sign_in_data("ops", "wrong password"))
    response = client.post(OFFICER_LOGIN, sign_in_data("ops", DEFAULT_PASSWORD))
    assert response.status_code == 429
    assert "Sign-in is paused" in response.content.decode()


def test_the_admin_sign_in_never_says_the_password_was_right_before_the_code(
    operator,
):
    right, wrong = Client(), Client()
    steps = [
        right.post(OFFICER_LOGIN, sign_in_data("ops", DEFAULT_PASSWORD, next="/admin/")),
        wrong.post(OFFICER_LOGIN, sign_in_data("ops", "wrong password", next="/admin/")),
    ]
    assert steps[0]["Location"] == steps[1]["Location"]
    answers = [
        c.post(s["Location"], {"code": "000000"})
        for c, s in zip((right, wrong), steps, strict=True)
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert "The username, password or code is not right." in answer.content.decode()
        assert "OTP token" not in answer.content.decode()
