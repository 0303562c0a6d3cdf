"""Sign-in with IEC + password + CAPTCHA, and the 30-minute lock after 5 wrong passwords."""

from __future__ import annotations

import logging

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from accounts.views import SIGN_IN_FAILED
from tests import factories
from tests.clients import verified_client
from tests.factories import DEFAULT_PASSWORD

from .conftest import login_data

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def test_an_exporter_signs_in_with_iec_password_and_captcha(client, alice):
    response = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == alice.pk


def test_the_login_page_has_labelled_fields_and_a_captcha_refresh_button(client, db):
    body = client.get(LOGIN).content.decode()
    for label in ("IEC Code, username or email", "Password", "Type the characters in the image"):
        assert f">{label}</label>" in body
    assert "data-captcha-refresh" in body
    assert "js/captcha.js" in body


def test_the_captcha_refresh_answers_an_xhr_with_a_new_image(client, db):
    response = client.get("/captcha/refresh/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == 200
    assert {"key", "image_url"} <= set(response.json())


def test_a_wrong_password_is_refused_with_a_plain_message(client, alice):
    response = client.post(LOGIN, login_data("0123456789", "not the password"))
    assert response.status_code == 200
    assert SIGN_IN_FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_captcha_is_a_form_error_and_not_a_password_failure(client, alice):
    for _ in range(7):
        response = client.post(
            LOGIN, login_data("0123456789", "not the password", captcha_1="WRONG")
        )
        assert "do not match the image" in response.content.decode()
    assert not AccessAttempt.objects.filter(username="0123456789").exists()
    assert client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302


def test_a_name_that_is_no_account_fails_like_a_wrong_password(client, alice):
    # Not an IEC, so a username (a member's or an agent's staff's): none has it.
    response = client.post(LOGIN, login_data("12-34", DEFAULT_PASSWORD))
    assert SIGN_IN_FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_wrong_passwords_lock_the_iec_for_30_minutes_even_for_the_right_password(
    client, alice, caplog
):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        with caplog.at_level(logging.WARNING, logger="accounts.security"):
            for _ in range(4):
                assert (
                    client.post(LOGIN, login_data("0123456789", "wrong password")).status_code
                    == 200
                )
            fifth = client.post(LOGIN, login_data("0123456789", "wrong password"))
            assert fifth.status_code == 429
            clock.shift(60)
            locked = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
        assert locked.status_code == 429
        body = locked.content.decode()
        assert "Sign-in is paused" in body
        assert "You can try again after" in body
        assert "support@coo-portal.example" in body
        assert "1800-111-550" in body
        assert "password is not right" not in body
        assert "_auth_user_id" not in client.session
        assert any("account locked: 0123456789" in r.getMessage() for r in caplog.records)
        assert any("sign-in failed for 0123456789" in r.getMessage() for r in caplog.records)
        assert AccessAttempt.objects.get(username="0123456789").failures_since_start >= 5

        clock.shift(29 * 60)
        assert client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 429
        clock.shift(31 * 60)
        response = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == alice.pk


def test_the_lock_is_per_iec_so_another_exporter_still_signs_in(client, alice, bob):
    for _ in range(5):
        client.post(LOGIN, login_data("0123456789", "wrong password"))
    assert client.post(LOGIN, login_data("BOBEX1234B", DEFAULT_PASSWORD)).status_code == 302


def test_failures_from_one_address_across_many_iecs_are_limited(client, alice, settings):
    settings.LOGIN_FAILURES_PER_IP_PER_HOUR = 6
    for n in range(6):
        client.post(LOGIN, login_data(f"{3000000000 + n}", "guess"))
    response = client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD))
    assert response.status_code == 429
    assert "too many failed sign-ins from your network" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_platform_staff_unlock_an_iec_in_admin_and_an_agency_administrator_cannot(
    client, alice, ada
):
    for _ in range(5):
        client.post(LOGIN, login_data("0123456789", "wrong password"))
    assert AccessAttempt.objects.filter(username="0123456789").exists()
    grant_agency_admin_permissions(ada)
    unlock = {"action": "unlock_sign_in", "_selected_action": [alice.pk]}
    # An exporter's account is not an agency's (accounts.admin_scope): nothing is unlocked.
    verified_client(ada).post(reverse("admin:accounts_user_changelist"), unlock)
    assert AccessAttempt.objects.filter(username="0123456789").exists()
    ada.is_superuser = True
    ada.save()
    response = verified_client(ada).post(reverse("admin:accounts_user_changelist"), unlock)
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="0123456789").exists()
    assert client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302


def test_an_agency_administrator_cannot_make_anyone_a_superuser_in_admin(ada, oscar):
    grant_agency_admin_permissions(ada)
    admin = verified_client(ada)
    change = reverse("admin:accounts_user_change", args=[ada.pk])
    page = admin.get(change).content.decode()
    assert 'name="is_superuser"' not in page
    admin.post(
        change,
        {
            "username": "ada",
            "is_superuser": "on",
            "is_staff": "on",
            "role": "operator",
            "email": "ada@example.com",
        },
    )
    ada.refresh_from_db()
    assert not ada.is_superuser
    assert ada.role == "agency_admin"
    # Another agency's officer is not even listed.
    assert admin.get(reverse("admin:accounts_user_change", args=[oscar.pk])).status_code == 404


def test_an_officer_cannot_use_the_exporter_login(client, olivia, db):
    response = client.post(LOGIN, login_data("olivia", DEFAULT_PASSWORD))
    assert SIGN_IN_FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session
    olivia.username = "9876543210"
    olivia.save()
    response = client.post(LOGIN, login_data("9876543210", DEFAULT_PASSWORD))
    assert response.status_code == 200
    assert SIGN_IN_FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_goes_to_the_page_asked_for(client, alice):
    response = client.post(
        LOGIN + "?next=/accounts/profile/",
        {**login_data("0123456789", DEFAULT_PASSWORD), "next": "/accounts/profile/"},
    )
    assert response["Location"] == "/accounts/profile/"
    evil = client.post(
        LOGIN, {**login_data("0123456789", DEFAULT_PASSWORD), "next": "https://evil.example/"}
    )
    assert "evil" not in evil["Location"]


def test_logout_is_a_post(client, alice):
    client.force_login(alice)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"), follow=True)
    assert "You have signed out." in response.content.decode()
    assert "_auth_user_id" not in client.session


def grant_agency_admin_permissions(user) -> None:
    """The narrow set seed_demo gives an agency administrator."""
    from django.contrib.auth.models import Permission

    from accounts.admin_scope import AGENCY_ADMIN_PERMISSIONS

    user.user_permissions.set(Permission.objects.filter(codename__in=AGENCY_ADMIN_PERMISSIONS))


def test_a_member_signs_in_with_a_username_or_an_email(client, alice):
    member = factories.FirmMemberFactory(
        firm=alice.exporter_profile.iec_record,
        role="preparer",
        user__username="priya.preparer",
        user__email="priya@example.com",
    ).user
    for name in ("priya.preparer", "PRIYA@example.com"):
        client.logout()
        response = client.post(LOGIN, login_data(name, DEFAULT_PASSWORD))
        assert response.status_code == 302, name
        assert client.session["_auth_user_id"] == str(member.pk)
    # The administrator's IEC login keeps working.
    client.logout()
    assert client.post(LOGIN, login_data("0123456789", DEFAULT_PASSWORD)).status_code == 302


def test_a_removed_member_cannot_sign_in(client, alice):
    membership = factories.FirmMemberFactory(
        firm=alice.exporter_profile.iec_record, role="signatory", user__username="sam.sign"
    )
    membership.removed_at = timezone.now()
    membership.save()
    response = client.post(LOGIN, login_data("sam.sign", DEFAULT_PASSWORD))
    assert SIGN_IN_FAILED in response.content.decode()
    assert "_auth_user_id" not in client.session
