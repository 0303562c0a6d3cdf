"""The whole journey in Chromium, under the live server: register, apply, pay, approve, download,
verify, revoke, verify again. Emails and SMS come from the in-memory outboxes, the CAPTCHA is in
test mode, Celery runs eagerly. tests.e2e.prod_smoke runs the same journey against gunicorn and a
Celery worker."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.management.commands.seed_demo import DEMO_PASSWORD, READY_IEC
from accounts.models import IECRecord
from accounts.sms import MemorySMSBackend
from certificates import keys
from certificates.models import Certificate
from certificates.services import verify_url_for
from certificates.validation import check_signed_pdf

from .journey import Exporter, Officer, run_journey, totp_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def portal(settings, tmp_path):
    """Reference data, the demo accounts and signing keys of the portal's own."""
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    call_command("seed_reference", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = True  # init_signing_keys makes development keys only with DEBUG=1
    call_command("init_signing_keys", verbosity=0, stdout=io.StringIO())
    settings.DEBUG = False
    yield
    keys.clear_caches()


def read_email(address: str) -> list[str]:
    return [message.body for message in mail.outbox if address in message.to]


def read_sms(mobile: str) -> list[str]:
    return [sms.body for sms in MemorySMSBackend.outbox if sms.to.endswith(mobile)]


def register_url(number: str) -> str:
    certificate = Certificate.objects.get(number=number)
    return verify_url_for(number=number, code=certificate.verification_code)


def test_a_new_exporter_gets_a_certificate_that_a_verifier_sees_valid_then_revoked(
    portal, page, live_server, screenshot, tmp_path
):
    record = IECRecord.objects.get(iec=READY_IEC)
    result = run_journey(
        page,
        live_server.url,
        exporter=Exporter(
            iec=record.iec,
            email=record.email,
            mobile=record.mobile.removeprefix("+91"),
            password="Monsoon-Harbour-7731",
        ),
        officer=Officer("officer.mumbai", DEMO_PASSWORD, lambda: totp_now("officer.mumbai")),
        admin=Officer("admin.eic", DEMO_PASSWORD, lambda: totp_now("admin.eic")),
        read_email=read_email,
        read_sms=read_sms,
        read_captcha=lambda pg: "PASSED",
        screenshot=screenshot,
        check_pdf=check_signed_pdf,
        register_url=register_url,
        work_dir=tmp_path,
        wait_seconds=10,
    )

    certificate = Certificate.objects.select_related("application").get(
        number=result.certificate_number
    )
    assert certificate.application.reference == result.reference
    assert certificate.application.exporter.username == record.iec
    assert certificate.status == "revoked"
    assert len(result.steps) == 18
    if shutil.which("zbarimg") and shutil.which("pdftoppm"):
        assert result.qr_from == "pdf"  # the link was read from the QR code itself
    assert [r for r in page.failed_requests if "favicon" not in r] == []
