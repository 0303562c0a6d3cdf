"""The answer on a 360-pixel phone, with and without JavaScript.

The pages are served by a small threaded server of this module's own rather than by
live_server, whose media handler cannot start while MEDIA_URL is None (stored files are private
and never served from a URL).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from tests.verification.helpers import qr_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwright() -> None:
    # Playwright's sync API keeps an event loop in this thread and the ORM refuses to run
    # beside one, even to open the test's transaction; the shared page fixture does the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server_url(settings) -> Iterator[str]:
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    httpd = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler, allow_reuse_address=False)
    httpd.set_app(WSGIHandler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def phone(certificate, browser_instance, server_url) -> Iterator[Callable]:
    """Opens a 360 x 740 page on the portal, with or without JavaScript."""
    contexts: list = []

    def open_page(*, javascript: bool = True):
        context = browser_instance.new_context(
            base_url=server_url,
            viewport={"width": 360, "height": 740},
            java_script_enabled=javascript,
        )
        contexts.append(context)
        pg = context.new_page()
        pg.failed = []
        pg.on("response", lambda r: r.status >= 400 and pg.failed.append(f"{r.status} {r.url}"))
        return pg

    yield open_page
    for context in contexts:
        context.close()


def test_the_answer_reads_well_on_a_360_pixel_phone(phone, screenshot):
    page = phone()
    page.goto(qr_url(NUMBER, CODE))
    assert page.get_by_role("heading", name="VALID").is_visible()
    assert page.get_by_text("Make sure the address bar shows").is_visible()
    # Nothing is wider than the screen: the page itself never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.failed == []
    screenshot(page, "answer-360")


def test_the_form_works_without_javascript(phone, screenshot):
    page = phone(javascript=False)
    page.goto("/verify/")
    page.get_by_label("Certificate number").fill(NUMBER)
    page.get_by_label("Verification code").fill(CODE)
    page.get_by_role("button", name="Check certificate").click()
    assert page.get_by_role("heading", name="VALID").is_visible()
    assert page.get_by_text("Alice Exports").is_visible()
    page.goto("/verify/")
    page.get_by_label("Certificate number").fill(NUMBER)
    page.get_by_label("Verification code").fill("WRONGCODE")
    page.get_by_role("button", name="Check certificate").click()
    assert page.get_by_role("heading", name="No certificate matches").is_visible()
    screenshot(page, "not-found-360")
