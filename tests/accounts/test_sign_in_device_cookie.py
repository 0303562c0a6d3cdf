"""After 50 failures from one address, the per-address limit spares accounts known to the
browser (a signed device cookie left by a successful sign-in, as OWASP's "Blocking Brute Force
Attacks" recommends) and officers who have a second factor; an attacker without the cookie is
still refused, and the per-account limits still hold for everyone."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.lockout import DEVICE_COOKIE
from accounts.models import User
from tests.factories import DEFAULT_PASSWORD

from .conftest import login_data
from .test_lockout_not_a_weapon import LOGIN, OFFICER_LOGIN, make_noisy, officer_data, wrong

pytestmark = pytest.mark.django_db

HOME = "10.9.8.7"  # where Alice signed in before
OFFICE = "203.0.113.9"  # the office's NAT, where a colleague's machine sprays passwords


def at(address: str, browser: Client | None = None) -> Client:
    """A browser (with its cookies) seen from `address`."""
    client = browser or Client()
    client.defaults["REMOTE_ADDR"] = address
    return client


def refused_as_noisy(response) -> bool:
    return response.status_code == 429 and "too many failed sign-ins" in response.content.decode()


def test_a_browser_that_signed_in_before_elsewhere_still_signs_in_from_a_noisy_address(
    alice, settings
):
    laptop = at(HOME)
    assert laptop.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302
    assert DEVICE_COOKIE in laptop.cookies
    laptop.post("/accounts/logout/")
    make_noisy(at(OFFICE), settings)  # Alice has never signed in from the office's address

    at(OFFICE, laptop)
    response = laptop.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert response.status_code == 302
    assert int(laptop.session["_auth_user_id"]) == alice.pk


def test_without_the_cookie_the_noisy_address_is_still_refused_before_any_password(alice, settings):
    assert at(HOME).post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302
    make_noisy(at(OFFICE), settings)
    attacker = at(OFFICE)
    with mock.patch.object(User, "check_password", autospec=True) as check:
        response = attacker.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert refused_as_noisy(response)
    assert check.call_count == 0
    # A cookie made up by hand, or copied from another account's browser, is no key either.
    attacker.cookies[DEVICE_COOKIE] = "0123456789"
    assert refused_as_noisy(attacker.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)))


def test_the_cookie_names_only_the_accounts_that_signed_in_on_that_browser(alice, bob, settings):
    bobs_browser = at(HOME)
    assert bobs_browser.post(LOGIN, login_data("BOBEX1234B", DEFAULT_PASSWORD)).status_code == 302
    make_noisy(at(OFFICE), settings)
    at(OFFICE, bobs_browser)
    assert refused_as_noisy(bobs_browser.post(LOGIN, login_data("0123456789", "guess")))


def test_the_per_account_limit_still_holds_for_a_known_browser(alice, settings):
    laptop = at(HOME)
    assert laptop.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302
    laptop.post("/accounts/logout/")
    make_noisy(at(OFFICE), settings, failures=10)
    at(OFFICE, laptop)
    for _ in range(5):
        wrong(laptop)
    assert laptop.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 429


def test_an_officer_with_a_second_factor_reaches_the_code_step_from_a_noisy_address(
    olivia, eic_mumbai, settings
):
    device = TOTPDevice.objects.create(user=olivia, name="phone", confirmed=True)
    make_noisy(at(OFFICE), settings)
    officer = at(OFFICE)
    step = officer.post(OFFICER_LOGIN, officer_data("olivia", DEFAULT_PASSWORD))
    assert step.status_code == 302, step.content.decode()[:500]
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    done = officer.post(step["Location"], {"code": code})
    assert done.status_code == 302
    assert int(officer.session["_auth_user_id"]) == olivia.pk
    assert DEVICE_COOKIE in officer.cookies


def test_an_officer_without_a_second_factor_is_refused_from_a_noisy_address(
    olivia, eic_mumbai, settings
):
    make_noisy(at(OFFICE), settings)
    response = at(OFFICE).post(OFFICER_LOGIN, officer_data("olivia", DEFAULT_PASSWORD))
    assert refused_as_noisy(response)
