"""A journey in Hindi in Chromium (issue 33): a first visitor switches to Hindi from the header,
signs in, reaches the applications and the verification page; every page says lang="hi", the
Devanagari renders (screenshots at 360 and 1280 px in artifacts/), and nothing overflows."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from accounts.sms import MemorySMSBackend
from applications.models import Application
from tests.accounts.conftest import code_from_sms
from tests.browser import sign_in_exporter
from tests.e2e.journey import ITEMS, apply_for_aifta
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


def test_an_exporter_in_hindi_applies_uploads_declares_pays_and_submits_at_360_px(
    page, screenshot, alice, reference_data, tmp_path
):
    """The English apply journey (tests/e2e/journey.py) with Alice's language Hindi, found by
    the Hindi of each label and button, in a 360 px viewport."""
    alice.mobile, alice.language = "+919811112222", "hi"
    alice.save(update_fields=["mobile", "language"])
    page.set_viewport_size({"width": 360, "height": 900})
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)

    def hindi(text: str) -> str:
        with translation.override("hi"):
            return gettext(text)

    reference = apply_for_aifta(
        page,
        lambda name, pg: screenshot(pg, f"hi-{name}"),
        office_label=reference_data["eic_mumbai"].name,
        work_dir=tmp_path,
        items=ITEMS[:1],
        signing_code=lambda: code_from_sms(
            [m for m in MemorySMSBackend.outbox if "sign the declaration" in m.body]
        ),
        tr=hindi,
    )
    assert page.evaluate("document.documentElement.lang") == "hi"
    assert Application.objects.get(reference=reference).status == "submitted"
