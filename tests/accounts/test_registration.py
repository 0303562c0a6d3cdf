"""Registration: IEC + email + mobile + CAPTCHA, then the email link, the SMS code, a password."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import IECRecord, LoginActivity, User
from tests import factories

from .conftest import (
    STRONG_PASSWORD,
    code_from_sms,
    link_from_mail,
    path_of,
    registration_data,
)

pytestmark = pytest.mark.django_db(transaction=False)

REGISTER = "/accounts/register/"


def register(client, record, **overrides):
    return client.post(REGISTER, registration_data(record, **overrides))


def test_the_whole_registration_journey_ends_with_a_signed_in_exporter(
    client, ready_iec, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, ready_iec)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:register-email-sent")
    assert "If the IEC Code, email ID and mobile number match" in (
        client.get(response["Location"]).content.decode()
    )
    assert mail_outbox[-1].to == [ready_iec.email]
    assert sms_outbox[-1].to == ready_iec.mobile

    response = client.get(path_of(link_from_mail()))
    assert response["Location"] == reverse("accounts:register-otp")
    page = client.get(response["Location"])
    assert "Your email ID is verified" in page.content.decode()

    response = client.post(reverse("accounts:register-otp"), {"code": code_from_sms(sms_outbox)})
    assert response["Location"] == reverse("accounts:register-password")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:register-password"),
            {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
        )
    assert response["Location"] == reverse("accounts:register-done")
    done = client.get(response["Location"]).content.decode()
    assert "Registration complete" in done
    assert reverse("accounts:login") in done
    assert "now registered" in mail_outbox[-1].body

    user = User.objects.get(username=ready_iec.iec)
    assert user.role == "exporter"
    assert (user.email, user.mobile) == (ready_iec.email, ready_iec.mobile)
    assert user.exporter_profile.registration_completed_at is not None
    assert LoginActivity.objects.filter(user=user, kind="registered").exists()

    response = client.post(
        "/accounts/login/",
        {
            "iec": ready_iec.iec.lower(),
            "password": STRONG_PASSWORD,
            "captcha_0": "x",
            "captcha_1": "PASSED",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


@pytest.mark.parametrize("iec", ["12345", "ABCDE12345"])
def test_a_malformed_iec_gets_its_own_message(client, ready_iec, iec):
    response = register(client, ready_iec, iec=iec)
    assert response.status_code == 200
    assert "Enter a valid IEC Code" in response.content.decode()
    assert response.context["form"].errors["iec"]


def assert_uniform_answer(response) -> None:
    """The one answer registration gives, whatever the registry holds."""
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:register-email-sent")


def test_an_unknown_iec_gets_the_same_answer_as_a_matching_one_and_nothing_is_sent(
    client, ready_iec, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert_uniform_answer(register(client, ready_iec, iec="9999999999"))
    assert (mail_outbox, sms_outbox) == ([], [])
    assert not User.objects.filter(username="9999999999").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert_uniform_answer(register(client, ready_iec))
    assert mail_outbox[-1].to == [ready_iec.email]


@pytest.mark.parametrize("status", ["suspended", "cancelled"])
def test_a_suspended_or_cancelled_iec_gets_the_same_answer_and_nothing_is_sent(
    client, ready_iec, status, mail_outbox, django_capture_on_commit_callbacks
):
    ready_iec.status = status
    ready_iec.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, ready_iec)
    assert_uniform_answer(response)
    assert mail_outbox == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "someone@else.example"},
        {"mobile": "9000000001"},
        {"email": "someone@else.example", "mobile": "9000000001"},
    ],
)
def test_an_email_or_mobile_not_in_the_registry_gets_the_same_answer_and_nothing_is_sent(
    client, ready_iec, mail_outbox, sms_outbox, django_capture_on_commit_callbacks, overrides
):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, ready_iec, **overrides)
    assert_uniform_answer(response)
    page = client.get(response["Location"]).content.decode()
    assert ready_iec.email not in page
    assert ready_iec.mobile[3:] not in page
    assert (mail_outbox, sms_outbox) == ([], [])
    assert not User.objects.filter(username=ready_iec.iec).exists()


def test_an_iec_that_is_already_registered_gets_the_same_answer_and_keeps_its_password(
    client, alice, mail_outbox, django_capture_on_commit_callbacks
):
    record = alice.exporter_profile.iec_record
    password = alice.password
    with django_capture_on_commit_callbacks(execute=True):
        assert_uniform_answer(register(client, record))
    alice.refresh_from_db()
    assert alice.password == password
    assert mail_outbox == []


def test_a_wrong_captcha_is_a_form_error_and_the_registry_is_not_consulted(
    client, ready_iec, mail_outbox
):
    response = register(client, ready_iec, iec="9999999999", captcha_1="WRONG")
    assert "The characters you typed do not match the image" in response.content.decode()
    assert mail_outbox == []


def _start(client, record, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        register(client, record)


def test_a_wrong_link_is_refused(client, ready_iec, django_capture_on_commit_callbacks):
    _start(client, ready_iec, django_capture_on_commit_callbacks)
    link = path_of(link_from_mail())
    tampered = link[:-3] + ("0" if link[-3] != "0" else "1") + link[-2:]
    response = client.get(tampered)
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()


def test_an_expired_link_is_refused(client, ready_iec, django_capture_on_commit_callbacks):
    _start(client, ready_iec, django_capture_on_commit_callbacks)
    link = path_of(link_from_mail())
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=24, minutes=1)):
        response = client.get(link)
    assert "This link has expired" in response.content.decode()


def test_a_used_link_is_refused_the_second_time(
    client, ready_iec, django_capture_on_commit_callbacks
):
    _start(client, ready_iec, django_capture_on_commit_callbacks)
    link = path_of(link_from_mail())
    assert client.get(link).status_code == 302
    response = client.get(link)
    assert "This link has already been used" in response.content.decode()


def test_registering_again_kills_the_earlier_link(
    client, ready_iec, django_capture_on_commit_callbacks
):
    _start(client, ready_iec, django_capture_on_commit_callbacks)
    first = path_of(link_from_mail())
    _start(client, ready_iec, django_capture_on_commit_callbacks)
    assert client.get(first).status_code == 400
    assert client.get(path_of(link_from_mail())).status_code == 302


def _verified_email(client, record, django_capture_on_commit_callbacks):
    _start(client, record, django_capture_on_commit_callbacks)
    client.get(path_of(link_from_mail()))


def test_the_code_page_needs_the_email_link_first(
    client, ready_iec, django_capture_on_commit_callbacks
):
    _start(client, ready_iec, django_capture_on_commit_callbacks)
    response = client.get(reverse("accounts:register-otp"))
    assert response["Location"] == reverse("accounts:register")


def test_a_wrong_code_is_refused(client, ready_iec, sms_outbox, django_capture_on_commit_callbacks):
    _verified_email(client, ready_iec, django_capture_on_commit_callbacks)
    right = code_from_sms(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    response = client.post(reverse("accounts:register-otp"), {"code": wrong})
    assert "The code is not right" in response.content.decode()


def test_an_expired_code_is_refused(
    client, ready_iec, sms_outbox, django_capture_on_commit_callbacks
):
    _verified_email(client, ready_iec, django_capture_on_commit_callbacks)
    code = code_from_sms(sms_outbox)
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=10, seconds=1)):
        response = client.post(reverse("accounts:register-otp"), {"code": code})
    assert "The code has expired" in response.content.decode()


def test_the_sixth_try_is_refused_even_with_the_right_code(
    client, ready_iec, sms_outbox, django_capture_on_commit_callbacks
):
    _verified_email(client, ready_iec, django_capture_on_commit_callbacks)
    right = code_from_sms(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        assert (
            "The code is not right"
            in client.post(reverse("accounts:register-otp"), {"code": wrong}).content.decode()
        )
    fifth = client.post(reverse("accounts:register-otp"), {"code": wrong}).content.decode()
    assert "that was the last try" in fifth
    sixth = client.post(reverse("accounts:register-otp"), {"code": right})
    assert sixth.status_code == 200
    assert "wrong code 5 times" in sixth.content.decode()


def test_a_new_code_can_be_sent_after_60_seconds_and_at_most_5_times_an_hour(
    client, ready_iec, sms_outbox, django_capture_on_commit_callbacks
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        _verified_email(client, ready_iec, django_capture_on_commit_callbacks)
        assert len(sms_outbox) == 1
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:register-otp-resend"), follow=True)
        assert "less than a minute ago" in response.content.decode()
        assert len(sms_outbox) == 1
        for sent in range(2, 6):
            clock.shift(61)
            with django_capture_on_commit_callbacks(execute=True):
                client.post(reverse("accounts:register-otp-resend"))
            assert len(sms_outbox) == sent
        clock.shift(61)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("accounts:register-otp-resend"), follow=True)
        assert "at most 5 codes an hour" in response.content.decode()
        assert len(sms_outbox) == 5
        # only the newest code works
        response = client.post(
            reverse("accounts:register-otp"), {"code": code_from_sms(sms_outbox)}
        )
        assert response["Location"] == reverse("accounts:register-password")


def _verified_both(client, record, sms_outbox, django_capture_on_commit_callbacks):
    _verified_email(client, record, django_capture_on_commit_callbacks)
    client.post(reverse("accounts:register-otp"), {"code": code_from_sms(sms_outbox)})


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("AAGCC4821Kx!", "too similar"),
        ("ChitraCoirWorks2026", "too similar to the firm name"),
        ("8364019275", "entirely numeric"),
    ],
)
def test_a_weak_password_is_refused(
    client, ready_iec, sms_outbox, django_capture_on_commit_callbacks, password, message
):
    _verified_both(client, ready_iec, sms_outbox, django_capture_on_commit_callbacks)
    response = client.post(
        reverse("accounts:register-password"), {"password1": password, "password2": password}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.get(username=ready_iec.iec).has_usable_password()


def test_the_password_page_needs_both_the_email_and_the_mobile(
    client, ready_iec, django_capture_on_commit_callbacks
):
    _verified_email(client, ready_iec, django_capture_on_commit_callbacks)
    response = client.post(
        reverse("accounts:register-password"),
        {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:register-otp")
    assert not User.objects.get(username=ready_iec.iec).has_usable_password()


def test_a_half_registered_iec_cannot_sign_in(
    client, ready_iec, django_capture_on_commit_callbacks
):
    _verified_email(client, ready_iec, django_capture_on_commit_callbacks)
    assert IECRecord.objects.get(iec=ready_iec.iec).profile.registration_completed_at is None
    response = client.post(
        "/accounts/login/",
        {"iec": ready_iec.iec, "password": "", "captcha_0": "x", "captcha_1": "PASSED"},
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_second_exporter_is_registered_independently(
    client, alice, ready_iec, django_capture_on_commit_callbacks
):
    other = factories.IECRecordFactory(iec="AAHCD1111Q", firm_name="Deccan Dyes")
    _start(client, other, django_capture_on_commit_callbacks)
    assert User.objects.filter(username="AAHCD1111Q").exists()
    assert alice.exporter_profile.iec_record.iec == "0123456789"
