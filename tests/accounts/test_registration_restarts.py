"""Anyone who knows a firm's IEC, email and mobile (all printed on invoices) can ask to register
it again, which voids the registration in progress. That may happen only a few times a day per
IEC (REGISTRATION_RESTARTS_PER_DAY, the `registration-restart` rate limit); past it, the
attempt in progress is kept. The owner is emailed each time theirs is replaced."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from tests import factories

from .conftest import code_from_sms, link_from_mail, path_of, registration_data

pytestmark = pytest.mark.django_db

REPLACED = "Your registration on COO Portal was started again"


def ask(record, capture) -> None:
    """A CAPTCHA solved, the registration form sent (the answer never says what happened)."""
    with capture(execute=True):
        response = Client().post(reverse("accounts:register"), registration_data(record))
    assert response["Location"] == reverse("accounts:register-email-sent")


def fingerprint(record) -> str:
    return User.objects.get(username=record.iec).password


def test_a_registration_in_progress_is_voided_only_a_few_times_a_day_and_the_owner_is_told(
    ready_iec, settings, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    settings.REGISTRATION_RESTARTS_PER_DAY = 2
    ask(ready_iec, capture)  # the owner starts
    assert [m.subject for m in mail_outbox if m.subject == REPLACED] == []

    for _ in range(2):  # a stranger voids it twice: allowed, and the owner hears each time
        before = fingerprint(ready_iec)
        ask(ready_iec, capture)
        assert fingerprint(ready_iec) != before
    told = [m for m in mail_outbox if m.subject == REPLACED]
    assert len(told) == 2
    assert told[0].to == [ready_iec.email]
    assert ready_iec.iec in told[0].body
    assert "no longer work" in told[0].body

    # The owner starts once more? Refused too: the day's restarts are spent, the attempt stays.
    kept_link, kept_code = path_of(link_from_mail()), code_from_sms(sms_outbox)
    sent = len(mail_outbox)
    before = fingerprint(ready_iec)
    ask(ready_iec, capture)
    assert fingerprint(ready_iec) == before
    assert len(mail_outbox) == sent  # no new link, no notice
    # The attempt in progress still works: its link and code.
    owner = Client()
    assert owner.get(kept_link)["Location"] == reverse("accounts:register-otp")
    owner.post(reverse("accounts:register-otp"), {"code": kept_code})
    assert User.objects.get(username=ready_iec.iec).exporter_profile.mobile_verified_at

    # A day later it may be started again. Redis expires the count by its own clock, which the
    # moved clock does not move: there the count's key is removed as its expiry would remove it.
    if settings.REDIS_URL:
        cache.delete(f"rl:registration-restart:{ready_iec.iec}")
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        ask(ready_iec, capture)
        assert fingerprint(ready_iec) != before
    assert mail_outbox[-2].subject == REPLACED


def test_the_limit_counts_each_iec_apart(
    ready_iec, settings, mail_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    settings.REGISTRATION_RESTARTS_PER_DAY = 1
    other = factories.IECRecordFactory(
        iec="AAGCD4821K", firm_name="Other", email="coo@other.example", mobile="+919847099999"
    )
    for record in (ready_iec, ready_iec, other):
        ask(record, capture)
    before = fingerprint(other)
    ask(other, capture)  # its own first restart
    assert fingerprint(other) != before
