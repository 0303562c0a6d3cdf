"""The exporter's journey in Chromium: register, follow the email link, enter the SMS code,
choose a password, sign in, see the profile. Link and code come from the outboxes."""

from __future__ import annotations

import pytest
from django.core import mail

from .conftest import STRONG_PASSWORD, code_from_sms, link_from_mail, path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_exporter_registers_and_signs_in_in_a_real_browser(
    page, screenshot, ready_iec, sms_outbox
):
    page.goto("/accounts/register/")
    page.get_by_label("IEC Code").fill(ready_iec.iec)
    page.get_by_label("Email ID").fill(ready_iec.email)
    page.get_by_label("Mobile Number").fill("98470")
    page.get_by_label("Type the characters in the image").fill("PASSED")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("Enter a mobile number of 10 digits").first.is_visible()
    screenshot(page, "01-register-error")

    old_src = page.locator("[data-captcha-image]").get_attribute("src")
    page.get_by_role("button", name="Show a new image").click()
    page.wait_for_function(
        "old => document.querySelector('[data-captcha-image]').getAttribute('src') !== old",
        arg=old_src,
    )
    assert page.get_by_label("IEC Code").input_value() == ready_iec.iec  # nothing typed was lost

    page.get_by_label("Mobile Number").fill(ready_iec.mobile[3:])
    page.get_by_label("Type the characters in the image").fill("PASSED")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    screenshot(page, "02-check-email")

    page.goto(path_of(link_from_mail()))
    page.get_by_role("heading", name="Enter the code from the SMS").wait_for()
    screenshot(page, "03-otp")
    page.get_by_label("Code from the SMS").fill(code_from_sms(sms_outbox))
    page.get_by_role("button", name="Verify mobile number").click()

    page.get_by_role("heading", name="Choose a password").wait_for()
    page.get_by_label("New password").fill("short")
    page.get_by_label("Confirm the password").fill("short")
    page.get_by_role("button", name="Complete registration").click()
    assert page.get_by_text("This password is too short").first.is_visible()
    screenshot(page, "04-weak-password")
    page.get_by_label("New password").fill(STRONG_PASSWORD)
    page.get_by_label("Confirm the password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Complete registration").click()
    page.get_by_role("heading", name="Registration complete").wait_for()
    screenshot(page, "05-done")
    assert "now registered" in mail.outbox[-1].body

    page.get_by_role("link", name="Sign in").last.click()
    page.get_by_label("IEC Code").fill(ready_iec.iec)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_label("Type the characters in the image").fill("PASSED")
    screenshot(page, "06-login")
    page.get_by_role("button", name="Sign in").click()
    page.goto("/accounts/profile/")
    page.get_by_role("heading", name="Your profile").wait_for()
    assert page.get_by_text(ready_iec.firm_name).first.is_visible()
    screenshot(page, "07-profile")
    assert [r for r in page.failed_requests if "favicon" not in r] == []


def test_the_lock_notice_and_officer_login_look_right(page, screenshot, alice):
    for _ in range(5):
        page.goto("/accounts/login/")
        page.get_by_label("IEC Code").fill("0123456789")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_label("Type the characters in the image").fill("PASSED")
        page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Sign-in is paused for this account").wait_for()
    screenshot(page, "lock-notice")
    page.goto("/accounts/officer/login/")
    page.get_by_label("Username").wait_for()
    screenshot(page, "officer-login")
