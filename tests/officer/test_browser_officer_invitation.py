"""Issue 31, in Chromium: an agency administrator invites an officer; the officer follows the
emailed link, chooses a password, sets up the authenticator at the first sign-in and reaches
the queue; once deactivated, the same officer cannot sign in."""

from __future__ import annotations

import base64
import re

import pytest
from django.core import mail
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts.models import User

from .test_browser_review import sign_in_officer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Quiet-Mangrove-4410"
LINK_RE = re.compile(r"https?://\S+/accounts/officer/invitation/\S+/")


def officer_password_step(page, username: str) -> None:
    page.goto("/accounts/officer/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Type the characters in the image").fill("PASSED")
    page.get_by_role("button", name="Continue").click()


def code_from_key(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return str(totp(key)).zfill(6)


def test_an_invited_officer_enrols_and_signs_in_and_once_deactivated_cannot(
    django_db_setup, browser_instance, live_server, screenshot, ada, eic_mumbai
):
    admin = browser_instance.new_context(base_url=live_server.url)
    admin_page = admin.new_page()
    sign_in_officer(admin_page, ada)
    admin_page.goto("/officer/officers/")
    admin_page.get_by_label("First name").fill("Ravi")
    admin_page.get_by_label("Last name").fill("Iyer")
    admin_page.get_by_label("Email address").fill("ravi@eic.example")
    admin_page.get_by_label("Username").fill("ravi")
    admin_page.get_by_role("button", name="Send the invitation").click()
    expect(admin_page.get_by_text("Ravi Iyer is invited")).to_be_visible()
    screenshot(admin_page, "1-invited")
    link = LINK_RE.search(mail.outbox[-1].body).group(0)

    officer = browser_instance.new_context(base_url=live_server.url)
    page = officer.new_page()
    page.goto("/" + link.split("://", 1)[1].split("/", 1)[1])  # the live server, not SITE_URL
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Confirm the password").fill(PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_text("Your password is set.")).to_be_visible()

    officer_password_step(page, "ravi")
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    screenshot(page, "2-enrol")
    secret = page.locator("code").first.inner_text()
    page.get_by_label("Code from your authenticator app").fill(code_from_key(secret))
    page.get_by_role("button", name="Confirm and sign in").click()
    expect(page.get_by_role("heading", name="Applications queue")).to_be_visible()
    officer.close()

    ravi = User.objects.get(username="ravi")
    admin_page.goto(f"/officer/officers/{ravi.pk}/")
    admin_page.get_by_role("button", name="Deactivate").click()
    expect(admin_page.get_by_text("Ravi Iyer is deactivated")).to_be_visible()
    screenshot(admin_page, "3-deactivated")

    again = browser_instance.new_context(base_url=live_server.url)
    page = again.new_page()
    officer_password_step(page, "ravi")
    page.get_by_label("Code from your authenticator app").fill(code_from_key(secret))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#id_code_error")).to_contain_text(
        "The username, password or code is not right."
    )
    page.goto("/officer/")
    expect(page).to_have_url(re.compile(r"/accounts/officer/login/"))
    again.close()
    admin.close()
