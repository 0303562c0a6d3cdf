from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_landing_page_renders_in_chromium_with_no_failed_request(page, live_server, screenshot):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Apply for, issue and verify Certificates of Origin"
    assert page.failed_requests == []
    path = screenshot(page, "landing")
    assert path.stat().st_size > 10_000
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, "landing-phone")
    # The skip link is the first thing a keyboard reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
