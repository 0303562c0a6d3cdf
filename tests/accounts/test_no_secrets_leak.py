"""No page, email or log line shows a password, a used code or a full token."""

from __future__ import annotations

import logging

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from .conftest import (
    STRONG_PASSWORD,
    code_from_sms,
    link_from_mail,
    login_data,
    path_of,
    registration_data,
)

pytestmark = pytest.mark.django_db

NEW = "Tamarind-Ferry-3371-q"


def test_registration_sign_in_and_reset_leak_no_secret(
    client, ready_iec, mail_outbox, sms_outbox, caplog, django_capture_on_commit_callbacks
):
    pages: list[str] = []

    def keep(response):
        pages.append(response.content.decode() + str(response.get("Location", "")))
        return response

    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        keep(client.post("/accounts/register/", registration_data(ready_iec)))
    link = path_of(link_from_mail())
    token = link.rstrip("/").rsplit("/", 1)[1]
    reg_code = code_from_sms(sms_outbox)
    keep(client.get(link, follow=True))
    keep(client.post(reverse("accounts:register-otp"), {"code": reg_code}, follow=True))
    with django_capture_on_commit_callbacks(execute=True):
        keep(
            client.post(
                reverse("accounts:register-password"),
                {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
                follow=True,
            )
        )
    keep(
        client.post(
            "/accounts/login/", login_data(ready_iec.iec, "a-wrong-password-1"), follow=True
        )
    )
    keep(client.post("/accounts/login/", login_data(ready_iec.iec, STRONG_PASSWORD), follow=True))
    keep(client.get(reverse("accounts:profile")))
    keep(client.post(reverse("accounts:logout"), follow=True))

    with django_capture_on_commit_callbacks(execute=True):
        keep(
            client.post(
                "/accounts/password-reset/",
                {"iec": ready_iec.iec, "captcha_0": "x", "captcha_1": "PASSED"},
                follow=True,
            )
        )
    reset_link = path_of(link_from_mail())
    reset_token = reset_link.rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        keep(client.get(reset_link, follow=True))
    reset_code = code_from_sms(sms_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        keep(
            client.post(
                reverse("accounts:password-reset-otp"),
                {"code": reset_code, "password1": NEW, "password2": NEW},
                follow=True,
            )
        )

    secrets = [STRONG_PASSWORD, NEW, "a-wrong-password-1", reg_code, reset_code, token, reset_token]
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in logs, secret
        for page in pages:
            assert secret not in page, secret
    delivering = {token: 0, reset_token: None}
    for index, message in enumerate(mail_outbox):
        text = message.body + "".join(alt[0] for alt in message.alternatives) + message.subject
        for password in (STRONG_PASSWORD, NEW, "a-wrong-password-1"):
            assert password not in text
        for full_token in delivering:
            if full_token in text:
                assert "link" in message.body.lower(), index
    assert sum(token in m.body for m in mail_outbox) == 1
    assert sum(reset_token in m.body for m in mail_outbox) == 1
    for attempt in AccessAttempt.objects.all():
        assert "a-wrong-password-1" not in attempt.post_data
