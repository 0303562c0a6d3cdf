"""Officers: username + password + CAPTCHA, then TOTP; no officer page without the second factor."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.decorators import exporter_required, officer_required
from accounts.models import User
from tests.clients import verified_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

OFFICER_LOGIN = "/accounts/officer/login/"


@pytest.fixture
def olivia_device(olivia) -> TOTPDevice:
    return TOTPDevice.objects.create(user=olivia, name="phone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def password_step(client, username="olivia", password=DEFAULT_PASSWORD, **extra):
    return client.post(
        OFFICER_LOGIN,
        {
            "username": username,
            "password": password,
            "captcha_0": "x",
            "captcha_1": "PASSED",
            **extra,
        },
    )


def test_an_officer_signs_in_with_password_then_the_totp_code(client, olivia, olivia_device):
    response = password_step(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:officer-otp"))
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    assert client.get(reverse("officer:queue")).status_code == 302

    response = client.post(response["Location"], {"code": current_code(olivia_device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("officer:queue")
    assert client.get(reverse("officer:queue")).status_code == 200


def test_the_officer_login_is_served_at_officer_login_and_under_accounts(client, db):
    for url in (OFFICER_LOGIN, reverse("accounts:officer-login")):
        body = client.get(url).content.decode()
        assert ">Username</label>" in body
        assert ">Password</label>" in body


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"


def test_a_wrong_totp_code_is_refused(client, olivia, olivia_device):
    password_step(client)
    response = client.post(reverse("accounts:officer-otp"), {"code": wrong_code(olivia_device)})
    assert "The username, password or code is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session


def _page_without_csrf(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_a_wrong_password_and_a_wrong_code_get_the_same_answers(olivia, olivia_device):
    """Nothing before the code step tells whether the password was right."""
    right, wrong = Client(), Client()
    answers = [password_step(right), password_step(wrong, password="wrong password")]
    assert answers[0].status_code == answers[1].status_code == 302
    assert answers[0]["Location"] == answers[1]["Location"]
    pages = [c.get(a["Location"]) for c, a in zip((right, wrong), answers, strict=True)]
    assert _page_without_csrf(pages[0]) == _page_without_csrf(pages[1])
    code = wrong_code(olivia_device)
    refusals = [c.post(reverse("accounts:officer-otp"), {"code": code}) for c in (right, wrong)]
    assert refusals[0].status_code == refusals[1].status_code == 200
    assert _page_without_csrf(refusals[0]) == _page_without_csrf(refusals[1])
    assert "_auth_user_id" not in right.session
    # The right code signs in only the session whose password was right.
    good = current_code(olivia_device)
    assert wrong.post(reverse("accounts:officer-otp"), {"code": good}).status_code == 200
    assert "_auth_user_id" not in wrong.session


def test_the_totp_page_needs_the_password_step_first(client, olivia, olivia_device):
    response = client.post(reverse("accounts:officer-otp"), {"code": current_code(olivia_device)})
    assert response["Location"] == reverse("accounts:officer-login")


def test_a_signed_in_officer_without_the_second_factor_reaches_no_officer_page(client, olivia):
    client.force_login(olivia)
    for name in ("officer:queue", "officer:dashboard"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:officer-login"))


def test_an_exporter_cannot_reach_officer_pages_or_use_the_officer_login(client, alice):
    response = password_step(client, username="0123456789")
    response = client.post(response["Location"], {"code": "123456"})
    assert "The username, password or code is not right." in response.content.decode()
    assert "_auth_user_id" not in client.session
    client.force_login(alice)
    assert client.get(reverse("officer:queue")).status_code == 404


def test_an_officer_cannot_reach_exporter_pages(olivia, olivia_device):
    client = Client()
    password_step(client)
    client.post(reverse("accounts:officer-otp"), {"code": current_code(olivia_device)})
    assert client.get(reverse("accounts:profile")).status_code == 404


def test_the_same_lockout_applies_to_officers(client, olivia, olivia_device):
    for _ in range(5):
        password_step(client, password="wrong password")
    response = password_step(client)
    assert response.status_code == 429
    assert "Sign-in is paused" in response.content.decode()


def test_officers_without_a_device_are_told_to_ask_their_administrator(client, olivia):
    response = client.post(password_step(client)["Location"], {"code": "123456"})
    assert "No authenticator app set up? Ask your agency administrator." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_create_officer_prints_the_otpauth_uri(eic_mumbai, capsys, settings):
    settings.OFFICER_PASSWORD = "Quiet-Mangrove-4410"
    call_command(
        "create_officer",
        "priya",
        "--email",
        "priya@eic.example",
        "--agency",
        "EIC",
        "--office",
        "MUM",
    )
    out = capsys.readouterr().out
    user = User.objects.get(username="priya")
    assert user.role == "officer"
    assert user.officer_profile.office == eic_mumbai
    assert user.check_password("Quiet-Mangrove-4410")
    device = TOTPDevice.objects.get(user=user)
    assert device.config_url in out
    assert out.count("otpauth://totp/") == 1
    assert "Quiet-Mangrove-4410" not in out


def test_create_officer_refuses_an_unknown_office(eic_mumbai, settings):
    from django.core.management.base import CommandError

    settings.OFFICER_PASSWORD = "Quiet-Mangrove-4410"
    with pytest.raises(CommandError, match="No office"):
        call_command(
            "create_officer",
            "priya",
            "--email",
            "p@e.example",
            "--agency",
            "EIC",
            "--office",
            "XXX",
        )


def test_admin_shows_the_officers_authenticator_state_but_never_its_key(
    client, olivia, olivia_device, ada
):
    """The key is shown once, when it is made (tests/security/test_admin_scope.py)."""
    ada.is_superuser = True
    ada.save()
    response = verified_client(ada).get(
        reverse("admin:accounts_officerprofile_change", args=[olivia.officer_profile.pk])
    )
    body = response.content.decode()
    assert "set up, last used never. Its key is not shown again." in body
    assert "otpauth://totp/" not in body
    assert olivia_device.key not in body


def test_the_decorators_are_importable_by_other_apps():
    assert callable(officer_required)
    assert callable(exporter_required)
