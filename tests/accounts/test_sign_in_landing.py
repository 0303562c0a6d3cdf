"""Where signing in leads (issue 14): exporters to My applications, signed-out visitors of the
officers' pages to the officer sign-in, and one mistyped authenticator code does not spoil the
right one typed next."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DEFAULT_PASSWORD

from .conftest import login_data

pytestmark = pytest.mark.django_db


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_an_exporter_lands_on_my_applications_after_signing_in(client, alice):
    response = client.post(reverse("accounts:login"), login_data(alice.username, DEFAULT_PASSWORD))
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:list")
    page = client.get(response["Location"]).content.decode()
    assert "My applications" in page
    assert ">Sign in</a>" not in page
    assert ">Register</a>" not in page


@pytest.mark.parametrize("path", ["/officer/", "/officer/dashboard/"])
def test_a_signed_out_visit_to_the_officer_pages_leads_to_the_officer_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert parts.path == reverse("accounts:officer-login")
    assert parse_qs(parts.query)["next"] == [path]
    assert ">Username</label>" in client.get(response["Location"]).content.decode()


def test_exporter_pages_still_lead_to_the_exporter_sign_in(client, db):
    response = client.get(reverse("applications:list"))
    assert urlsplit(response["Location"]).path == reverse("accounts:login")


def test_one_wrong_code_does_not_make_the_next_right_one_fail(client, olivia):
    device = TOTPDevice.objects.create(user=olivia, name="phone", confirmed=True)
    step = client.post(
        reverse("accounts:officer-login"),
        {
            "username": "olivia",
            "password": DEFAULT_PASSWORD,
            "captcha_0": "x",
            "captcha_1": "PASSED",
        },
    )
    wrong = f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"
    refused = client.post(step["Location"], {"code": wrong})
    assert "The username, password or code is not right." in refused.content.decode()
    # typed at once, well inside django-otp's back-off after a failure
    response = client.post(step["Location"], {"code": current_code(device)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("officer:queue")
    assert client.get(reverse("officer:queue")).status_code == 200


def test_many_wrong_codes_in_a_row_make_the_device_wait(client, olivia):
    from accounts.officer_auth import CODE_TRIES, _device_allows

    device = TOTPDevice.objects.create(user=olivia, name="phone", confirmed=True)
    device.throttling_failure_count = CODE_TRIES - 1
    device.throttle_increment()
    device.refresh_from_db()
    assert not _device_allows(device)
    device.throttle_reset()
    assert _device_allows(device)


def _password_step(client, username: str):
    return client.post(
        reverse("accounts:officer-login"),
        {
            "username": username,
            "password": DEFAULT_PASSWORD,
            "captcha_0": "x",
            "captcha_1": "PASSED",
        },
    )


def test_an_agency_administrators_first_sign_in_sets_up_the_authenticator(client, ada):
    step = _password_step(client, "ada")
    setup = client.get(step["Location"], follow=True)
    assert setup.redirect_chain[-1][0].startswith(reverse("accounts:officer-enrol"))
    page = setup.content.decode()
    assert "Set up your authenticator app" in page
    assert "<svg" in page
    assert "Please select a device" not in page
    device = TOTPDevice.objects.get(user=ada, confirmed=False)

    wrong = f"{(int(current_code(device)) + 500_000) % 1_000_000:06d}"
    refused = client.post(setup.redirect_chain[-1][0], {"code": wrong})
    assert "That code does not match." in refused.content.decode()
    assert "_auth_user_id" not in client.session

    response = client.post(setup.redirect_chain[-1][0], {"code": current_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("officer:queue")).status_code == 200


def test_the_set_up_page_is_not_reachable_without_the_password_or_with_a_device(client, ada):
    assert client.get(reverse("accounts:officer-enrol"))["Location"] == reverse(
        "accounts:officer-login"
    )
    TOTPDevice.objects.create(user=ada, name="phone", confirmed=True)
    step = _password_step(client, "ada")
    assert client.get(reverse("accounts:officer-enrol"))["Location"] == reverse(
        "accounts:officer-login"
    )
    assert (
        "Enter the code from your authenticator app"
        in client.get(step["Location"]).content.decode()
    )
