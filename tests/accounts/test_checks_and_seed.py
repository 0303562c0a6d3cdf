"""The CAPTCHA test-mode system check, and the demo data."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts import firms
from accounts.checks import captcha_test_mode_check
from accounts.models import AgentAuthorisation, IECRecord, User


def test_captcha_test_mode_is_refused_when_debug_is_off(settings):
    settings.CAPTCHA_TEST_MODE, settings.DEBUG, settings.TESTING = True, False, False
    assert [e.id for e in captcha_test_mode_check()] == ["accounts.E001"]


def test_captcha_test_mode_is_allowed_in_development(settings):
    settings.CAPTCHA_TEST_MODE, settings.DEBUG, settings.TESTING = True, True, False
    assert captcha_test_mode_check() == []


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_demo_logins(capsys):
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "AABCS1429B" in out
    assert "exports@shakti-spices.example" in out
    assert "officer.mumbai" in out
    assert "TOTP secret" in out
    assert IECRecord.objects.filter(status="suspended").count() == 1
    assert IECRecord.objects.filter(status="active").count() >= 3
    officer = User.objects.get(username="officer.mumbai")
    assert (officer.officer_profile.agency.code, officer.officer_profile.office.code) == (
        "EIC",
        "MUM",
    )
    assert User.objects.get(username="0123456789").exporter_profile.registration_completed_at
    assert User.objects.get(username="admin.eic").is_staff
    # The demo agent files for the demo exporter's firm (one authorisation, however often run).
    assert "username kiran" in out
    # Every demo login is printed, the agent's licence number too (a firm needs it to
    # authorise the agent; issue 33).
    assert "CB/MUM/2026/0042" in out
    for username in User.objects.values_list("username", flat=True):
        assert (
            f"username {username}" in out
            or f"IEC Code {username}" in out
            or (f"or {username} " in out)
        ), f"seed_demo does not print the login {username}"
    kiran = User.objects.get(username="kiran")
    assert firms.firm_ids_for(kiran) == {IECRecord.objects.get(iec="0123456789").pk}
    assert AgentAuthorisation.objects.count() == 1
