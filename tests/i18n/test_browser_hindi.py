"""A journey in Hindi in Chromium (issue 33): a first visitor switches to Hindi from the header,
signs in, reaches the applications and the verification page; every page says lang="hi", the
Devanagari renders (screenshots at 360 and 1280 px in artifacts/), and nothing overflows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import DEFAULT_PASSWORD, ApplicationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (360, 1280)


def look(page, screenshot, step: str) -> None:
    assert page.evaluate("document.documentElement.lang") == "hi", step
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{step} @{width}px overflows by {overflow}px"
        screenshot(page, f"{step}-{width}")


def test_a_first_visitor_switches_to_hindi_and_stays_in_it_after_signing_in(
    page, live_server, screenshot, alice
):
    ApplicationFactory(exporter=alice)
    page.goto("/")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.get_by_role("link", name="हिन्दी").click()  # no cookie yet: the language page
    page.locator("main").get_by_role("button", name="हिन्दी").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == (
        "उद्गम प्रमाणपत्र के लिए आवेदन, जारी करना और सत्यापन"
    )
    look(page, screenshot, "home")

    page.goto("/accounts/login/")
    look(page, screenshot, "sign-in")
    page.get_by_label("IEC कोड, उपयोगकर्ता नाम या ईमेल").fill(alice.username)
    page.get_by_label("पासवर्ड").fill(DEFAULT_PASSWORD)
    page.get_by_label("चित्र में दिए अक्षर टाइप करें").fill("PASSED")
    page.locator("main").get_by_role("button", name="साइन इन करें").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    look(page, screenshot, "applications")
    alice.refresh_from_db()
    assert alice.language == "hi"  # the visitor's choice moved to the account

    page.goto(reverse("applications:new"))
    look(page, screenshot, "new-application")
    page.goto(reverse("verification:verify"))
    look(page, screenshot, "verify")

    # Back to English with the header's switcher (a POST now: the page has a session).
    page.locator("header").get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert User.objects.get(pk=alice.pk).language == "en-in"
