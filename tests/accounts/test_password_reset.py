"""Password reset: IEC + CAPTCHA, then the email link (1 hour, once) and the SMS code."""

from __future__ import annotations

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import DEFAULT_PASSWORD

from .conftest import STRONG_PASSWORD, code_from_sms, link_from_mail, login_data, path_of

pytestmark = pytest.mark.django_db

RESET = "/accounts/password-reset/"
NEW = "Lantern-Quay-5829-x"


def ask(client, iec, capture):
    with capture(execute=True):
        return client.post(RESET, {"iec": iec, "captcha_0": "x", "captcha_1": "PASSED"})


def open_link(client, capture):
    with capture(execute=True):
        return client.get(path_of(link_from_mail()))


def set_password(client, code, password=NEW, capture=None):
    data = {"code": code, "password1": password, "password2": password}
    if capture is None:
        return client.post(reverse("accounts:password-reset-otp"), data)
    with capture(execute=True):
        return client.post(reverse("accounts:password-reset-otp"), data)


def test_a_registered_exporter_resets_the_password_with_the_link_and_the_code(
    client, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    response = ask(client, "0123456789", django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("accounts:password-reset-sent")
    assert mail_outbox[-1].to == [alice.email]
    assert sms_outbox == []  # the code is sent when the link is opened

    response = open_link(client, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("accounts:password-reset-otp")
    assert sms_outbox[-1].to == alice.mobile

    response = set_password(
        client, code_from_sms(sms_outbox), capture=django_capture_on_commit_callbacks
    )
    assert response["Location"] == reverse("accounts:password-reset-complete")
    assert "was changed" in mail_outbox[-1].subject
    assert NEW not in mail_outbox[-1].body
    assert client.post("/accounts/login/", login_data("0123456789", NEW)).status_code == 302


def test_an_unregistered_iec_gets_the_same_answer_and_no_email(
    client, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    known = ask(client, "0123456789", django_capture_on_commit_callbacks)
    unknown = ask(Client(), "9999999999", django_capture_on_commit_callbacks)
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.content == unknown.content
    assert Client().get(known["Location"]).content == Client().get(unknown["Location"]).content
    assert len(mail_outbox) == 1
    assert sms_outbox == []


def test_the_link_alone_is_not_enough_a_wrong_code_is_refused(
    client, alice, sms_outbox, django_capture_on_commit_callbacks
):
    ask(client, "0123456789", django_capture_on_commit_callbacks)
    open_link(client, django_capture_on_commit_callbacks)
    wrong = "000000" if code_from_sms(sms_outbox) != "000000" else "111111"
    response = set_password(client, wrong)
    assert "The code is not right" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(DEFAULT_PASSWORD)


def test_a_used_link_fails(client, alice, sms_outbox, django_capture_on_commit_callbacks):
    ask(client, "0123456789", django_capture_on_commit_callbacks)
    link = path_of(link_from_mail())
    open_link(client, django_capture_on_commit_callbacks)
    set_password(client, code_from_sms(sms_outbox), capture=django_capture_on_commit_callbacks)
    response = Client().get(link)
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


def test_an_expired_link_fails(client, alice, django_capture_on_commit_callbacks):
    ask(client, "0123456789", django_capture_on_commit_callbacks)
    link = path_of(link_from_mail())
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1, minutes=1)):
        response = client.get(link)
    assert "This link has expired" in response.content.decode()


def test_the_link_dies_if_it_expires_while_the_new_password_page_is_open(
    client, alice, sms_outbox, django_capture_on_commit_callbacks
):
    ask(client, "0123456789", django_capture_on_commit_callbacks)
    open_link(client, django_capture_on_commit_callbacks)
    code = code_from_sms(sms_outbox)
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1, minutes=1)):
        response = set_password(client, code)
    assert response.status_code == 400


def test_a_weak_new_password_is_refused(
    client, alice, sms_outbox, django_capture_on_commit_callbacks
):
    ask(client, "0123456789", django_capture_on_commit_callbacks)
    open_link(client, django_capture_on_commit_callbacks)
    response = set_password(client, code_from_sms(sms_outbox), password="short")
    assert "too short" in response.content.decode()


def test_every_other_session_ends_after_a_reset(
    client, alice, sms_outbox, django_capture_on_commit_callbacks
):
    other = Client()
    assert (
        other.post("/accounts/login/", login_data("0123456789", DEFAULT_PASSWORD)).status_code
        == 302
    )
    assert other.get(reverse("accounts:profile")).status_code == 200

    ask(client, "0123456789", django_capture_on_commit_callbacks)
    open_link(client, django_capture_on_commit_callbacks)
    set_password(client, code_from_sms(sms_outbox), capture=django_capture_on_commit_callbacks)

    response = other.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_locked_iec_can_reset_and_the_reset_lifts_the_lock(
    client, alice, sms_outbox, django_capture_on_commit_callbacks
):
    for _ in range(5):
        client.post("/accounts/login/", login_data("0123456789", "wrong password"))
    assert (
        client.post("/accounts/login/", login_data("0123456789", DEFAULT_PASSWORD)).status_code
        == 429
    )
    ask(client, "0123456789", django_capture_on_commit_callbacks)
    open_link(client, django_capture_on_commit_callbacks)
    set_password(
        client,
        code_from_sms(sms_outbox),
        password=STRONG_PASSWORD,
        capture=django_capture_on_commit_callbacks,
    )
    assert not AccessAttempt.objects.filter(username="0123456789").exists()
    assert (
        client.post("/accounts/login/", login_data("0123456789", STRONG_PASSWORD)).status_code
        == 302
    )


def test_a_wrong_captcha_sends_nothing(
    client, alice, mail_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESET, {"iec": "0123456789", "captcha_0": "x", "captcha_1": "NOPE"})
    assert "do not match the image" in response.content.decode()
    assert mail_outbox == []


def test_an_agents_staff_resets_the_password_by_username_and_a_removed_one_cannot(
    client, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    from tests.accounts.agent_factories import kiran_logistics

    kiran = kiran_logistics(alice.exporter_profile.iec_record, alice).user
    ask(client, "kiran", django_capture_on_commit_callbacks)
    assert mail_outbox[-1].to == [kiran.email]
    assert "username kiran" in mail_outbox[-1].body
    open_link(client, django_capture_on_commit_callbacks)
    assert sms_outbox[-1].to == kiran.mobile
    response = set_password(
        client, code_from_sms(sms_outbox), capture=django_capture_on_commit_callbacks
    )
    assert response["Location"] == reverse("accounts:password-reset-complete")
    assert client.post("/accounts/login/", login_data("kiran", NEW)).status_code == 302

    client.logout()
    kiran.agent_staff.removed_at = timezone.now()
    kiran.agent_staff.save()
    sent = len(mail_outbox)
    ask(client, "kiran@kiran.example.com", django_capture_on_commit_callbacks)
    assert len(mail_outbox) == sent  # the same answer, and nothing sent
