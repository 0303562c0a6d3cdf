"""The registration takeover of issue 18: a stranger who knows an unregistered IEC and its
registered email and mobile submits the form in their own browser and waits on the password
page while the owner verifies. The email link and the SMS code are the proofs: only the browser
that presented both may set the password. Runs on SQLite and on PostgreSQL (DATABASE_URL)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

from .conftest import (
    STRONG_PASSWORD,
    code_from_sms,
    link_from_mail,
    login_data,
    path_of,
    registration_data,
)

pytestmark = pytest.mark.django_db

ATTACKER_PASSWORD = "Stolen-Account-9913"
PASSWORD_PAGE = "/accounts/register/password/"
PASSWORDS = {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}


def submit_form(client: Client, record, capture) -> None:
    with capture(execute=True):
        response = client.post(reverse("accounts:register"), registration_data(record))
    assert response["Location"] == reverse("accounts:register-email-sent")


def attacker_polls(attacker: Client) -> None:
    """What the attacker tries at every step: the password page, by GET and by POST."""
    assert attacker.get(PASSWORD_PAGE)["Location"] == reverse("accounts:register")
    response = attacker.post(
        PASSWORD_PAGE, {"password1": ATTACKER_PASSWORD, "password2": ATTACKER_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:register")
    assert attacker.get(reverse("accounts:register-otp"))["Location"] == reverse(
        "accounts:register"
    )


def assert_owner_holds_the_account(record, owner: Client, attacker: Client) -> None:
    user = User.objects.get(username=record.iec)
    assert user.check_password(STRONG_PASSWORD)
    assert not user.check_password(ATTACKER_PASSWORD)
    refused = attacker.post("/accounts/login/", login_data(record.iec, ATTACKER_PASSWORD))
    assert "_auth_user_id" not in attacker.session
    assert refused.status_code == 200
    assert owner.post("/accounts/login/", login_data(record.iec, STRONG_PASSWORD))[
        "Location"
    ] == reverse("applications:list")
    assert int(owner.session["_auth_user_id"]) == user.pk


def test_the_owner_holds_the_account_when_a_stranger_submitted_the_form_first_and_polls(
    ready_iec, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    attacker, owner = Client(), Client()
    submit_form(attacker, ready_iec, django_capture_on_commit_callbacks)
    attacker_polls(attacker)
    submit_form(owner, ready_iec, django_capture_on_commit_callbacks)
    attacker_polls(attacker)

    assert owner.get(path_of(link_from_mail()))["Location"] == reverse("accounts:register-otp")
    attacker_polls(attacker)
    response = owner.post(reverse("accounts:register-otp"), {"code": code_from_sms(sms_outbox)})
    assert response["Location"] == reverse("accounts:register-password")
    attacker_polls(attacker)

    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post(PASSWORD_PAGE, PASSWORDS)
    assert response["Location"] == reverse("accounts:register-done")
    attacker_polls(attacker)
    assert_owner_holds_the_account(ready_iec, owner, attacker)


def test_the_owner_completes_from_the_email_the_strangers_form_caused(
    ready_iec, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    attacker, owner = Client(), Client()
    submit_form(attacker, ready_iec, django_capture_on_commit_callbacks)
    owner.get(path_of(link_from_mail()))
    attacker_polls(attacker)
    owner.post(reverse("accounts:register-otp"), {"code": code_from_sms(sms_outbox)})
    attacker_polls(attacker)
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(PASSWORD_PAGE, PASSWORDS)
    assert_owner_holds_the_account(ready_iec, owner, attacker)


def test_the_sms_code_counts_only_in_the_browser_that_opened_the_email_link(
    ready_iec, sms_outbox, django_capture_on_commit_callbacks
):
    """A stranger who reads the owner's SMS (but not the email) gets nowhere with it."""
    attacker = Client()
    submit_form(attacker, ready_iec, django_capture_on_commit_callbacks)
    response = attacker.post(reverse("accounts:register-otp"), {"code": code_from_sms(sms_outbox)})
    assert response["Location"] == reverse("accounts:register")
    attacker_polls(attacker)
    assert User.objects.get(username=ready_iec.iec).exporter_profile.mobile_verified_at is None


def test_a_second_registration_voids_the_first_attempts_link_code_and_proofs(
    ready_iec, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    first, second = Client(), Client()
    submit_form(first, ready_iec, django_capture_on_commit_callbacks)
    first_link, first_code = path_of(link_from_mail()), code_from_sms(sms_outbox)
    first.get(first_link)
    first.post(reverse("accounts:register-otp"), {"code": first_code})
    assert first.get(PASSWORD_PAGE).status_code == 200  # both proofs held, in this browser

    submit_form(second, ready_iec, django_capture_on_commit_callbacks)
    # The first browser's proofs are void, and so are the first link and code.
    response = first.post(PASSWORD_PAGE, PASSWORDS)
    assert response["Location"] == reverse("accounts:register")
    assert Client().get(first_link).status_code == 400
    user = User.objects.get(username=ready_iec.iec)
    assert not user.has_usable_password()
    assert user.exporter_profile.mobile_verified_at is None

    # The newest link and code work, in the browser that opens the link.
    # The owner was told the attempt in progress was replaced (then the new link came).
    assert [m.subject for m in mail_outbox] == [
        "Verify your email ID to register on COO Portal",
        "Your registration on COO Portal was started again",
        "Verify your email ID to register on COO Portal",
    ]
    second.get(path_of(link_from_mail()))
    second.post(reverse("accounts:register-password"), PASSWORDS)  # not yet: the code comes first
    assert not User.objects.get(username=ready_iec.iec).has_usable_password()
    code_page = second.post(reverse("accounts:register-otp"), {"code": first_code})
    assert code_page.status_code == 200  # the first attempt's code no longer counts
    assert User.objects.get(username=ready_iec.iec).exporter_profile.mobile_verified_at is None


def test_a_registration_restarted_between_the_check_and_the_password_refuses_the_password(
    ready_iec, sms_outbox, django_capture_on_commit_callbacks
):
    """The attempt is checked again under the row lock when the password is set."""
    from accounts import services
    from accounts.tokens import registration_attempt

    owner = Client()
    submit_form(owner, ready_iec, django_capture_on_commit_callbacks)
    user = User.objects.get(username=ready_iec.iec)
    stale = registration_attempt(user)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_start(iec_record=ready_iec)
    with pytest.raises(services.AccountError, match="started again"):
        services.registration_complete(user=user, attempt=stale, password=STRONG_PASSWORD)
    assert not User.objects.get(username=ready_iec.iec).has_usable_password()
