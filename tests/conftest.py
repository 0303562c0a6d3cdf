"""Shared fixtures: personas, outboxes, the browser.

Personas (the same names in every test):
- alice: an exporter (IEC 0123456789, "Alice Exports").
- bob: a second exporter who must see nothing of Alice's.
- olivia: an officer of EIC, Mumbai office.
- oscar: an officer of another agency (FIEO, Delhi), who must see nothing filed with EIC.
- ada: EIC's agency administrator.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail

from accounts.sms import MemorySMSBackend
from tests import factories
from tests.browser import watch_failures

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(autouse=True)
def _clean_outboxes() -> Iterator[None]:
    MemorySMSBackend.outbox.clear()
    yield
    MemorySMSBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate limits, axes and OTP throttles keep state in the cache; no test sees another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _celery_join_flag() -> Iterator[None]:
    """Eager Celery marks "inside a task" in one process-wide flag, set and restored around
    each eager run; tasks run eagerly in several threads at once (the concurrency tests)
    can restore it in the wrong order and leave it set, after which result.get() refuses to
    run in the test that drives a real worker. No test inherits it."""
    from celery import _state

    yield
    _state._set_task_join_will_block(False)


@pytest.fixture
def eic_signing_key(settings, tmp_path: Path) -> Iterator[Path]:
    """EIC's signing key in a keys folder of this test's own; no key (certificate or
    credential) is loaded before or after."""
    from django.core.cache import cache

    from certificates import credential_keys, keys

    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    credential_keys.clear_caches()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    cache.clear()
    yield settings.SIGNING_KEYS_DIR
    keys.clear_caches()
    credential_keys.clear_caches()
    cache.clear()


@pytest.fixture
def sms_outbox() -> list:
    return MemorySMSBackend.outbox


@pytest.fixture
def mail_outbox() -> list:
    return mail.outbox


@pytest.fixture
def eic(db):
    return factories.AgencyFactory(code="EIC", name="Export Inspection Council")


@pytest.fixture
def eic_mumbai(eic):
    return factories.OfficeFactory(agency=eic, code="MUM", name="EIA Mumbai", city="Mumbai")


@pytest.fixture
def fieo(db):
    return factories.AgencyFactory(code="FIEO", name="Federation of Indian Export Organisations")


@pytest.fixture
def fieo_delhi(fieo):
    return factories.OfficeFactory(agency=fieo, code="DEL", name="FIEO Delhi", city="New Delhi")


@pytest.fixture
def alice(db):
    return factories.ExporterFactory(
        username="0123456789", exporter_profile__iec_record__firm_name="Alice Exports"
    )


@pytest.fixture
def bob(db):
    return factories.ExporterFactory(
        username="BOBEX1234B", exporter_profile__iec_record__firm_name="Bob Traders"
    )


@pytest.fixture
def olivia(eic_mumbai):
    return factories.OfficerFactory(
        username="olivia",
        first_name="Olivia",
        last_name="Rao",
        officer_profile__agency=eic_mumbai.agency,
        officer_profile__office=eic_mumbai,
    )


@pytest.fixture
def oscar(fieo_delhi):
    return factories.OfficerFactory(
        username="oscar",
        first_name="Oscar",
        last_name="Das",
        officer_profile__agency=fieo_delhi.agency,
        officer_profile__office=fieo_delhi,
    )


@pytest.fixture
def ada(eic_mumbai):
    return factories.OfficerFactory(
        username="ada",
        first_name="Ada",
        last_name="Menon",
        role="agency_admin",
        is_staff=True,
        officer_profile__agency=eic_mumbai.agency,
        officer_profile__office=eic_mumbai,
        officer_profile__designation="Agency Administrator",
    )


def _chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: while Playwright's sync API is open it keeps an event loop
    running in the main thread, where asyncio.run() (pyHanko's sync signing) cannot work."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="module")
def browser_instance(django_db_setup, django_db_blocker):
    """One Chromium per test module, closed (with its event loop) when the module is done.
    The test database is set up first: Django refuses database setup inside a running loop."""
    chromium = _chromium_path()
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    from django.test import testcases
    from playwright.sync_api import sync_playwright

    # Stored files are private (MEDIA_URL is None), but the live server's media handler
    # assumes a media URL and fails on every request; nothing is served from media here.
    testcases._MediaFilesHandler._should_handle = lambda self, path: False
    # Django's ORM may be called from this thread while Playwright's loop exists in it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser_instance, live_server, request):
    """A fresh browser page; failed requests are collected in page.failed_requests."""
    context = browser_instance.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    pg = context.new_page()
    pg.failed_requests = watch_failures(pg)
    yield pg
    context.close()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step-name") saves artifacts/<test name>/<step>.png."""
    folder = ARTIFACTS / request.node.name

    def take(pg, step: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{step}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take
