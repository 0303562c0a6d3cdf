"""Helpers shared by the browser tests and `make prod-smoke`."""

from __future__ import annotations

from playwright.sync_api import Page


def watch_failures(page: Page) -> list[str]:
    """Collect the page's failed requests: network errors and 4xx/5xx answers.

    A request the browser itself cancelled (net::ERR_ABORTED: a navigation started while the
    favicon or an image was still loading) is not a failure of the portal, and is left out.
    """
    failures: list[str] = []

    def on_failed(request) -> None:
        if request.failure != "net::ERR_ABORTED":
            failures.append(f"{request.failure} {request.url}")

    page.on("requestfailed", on_failed)
    page.on(
        "response", lambda res: res.status >= 400 and failures.append(f"{res.status} {res.url}")
    )
    return failures


def sign_in_exporter(page: Page, iec: str, password: str) -> None:
    """Through the real sign-in form (the suite's CAPTCHA test mode accepts PASSED)."""
    page.goto("/accounts/login/")
    page.get_by_label("IEC Code").fill(iec)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Type the characters in the image").fill("PASSED")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
