from __future__ import annotations

import time

import pytest
from django.core.mail import send_mail

from accounts.sms import send_sms


@pytest.fixture
def file_outbox(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    settings.SMS_BACKEND = "accounts.sms.FileSMSBackend"
    settings.SMS_FILE_PATH = tmp_path / "sms"
    return tmp_path


@pytest.mark.django_db
def test_outbox_lists_emails_and_sms_newest_first_with_clickable_links(
    client, settings, file_outbox
):
    settings.DEBUG = True
    send_mail(
        "First email",
        "Open http://testserver/accounts/verify/abc/ to go on.",
        "no-reply@example.org",
        ["alice@example.com"],
    )
    time.sleep(0.05)
    send_sms(to="+919876543210", body="Your OTP is 123456")
    response = client.get("/dev/outbox/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Your OTP is 123456") < html.index("First email")
    assert '<a href="http://testserver/accounts/verify/abc/"' in html
    assert "alice@example.com" in html
    assert "+919876543210" in html


@pytest.mark.django_db
def test_outbox_is_not_found_when_debug_is_off(client, settings, file_outbox):
    settings.DEBUG = False
    assert client.get("/dev/outbox/").status_code == 404
