"""Acceptance 4: each decision sends exactly one email and one SMS to the exporter, after
commit (none when the transaction rolls back), and the exporter sees the officer's message."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from applications import workflow
from applications.models import Status
from review import services as review_services

DECISIONS = {
    "approve": (
        lambda a, o: review_services.application_approve(
            application_id=a.pk, officer=o, remark="Stamped copy follows."
        ),
        "approved",
        "Stamped copy follows.",
    ),
    "reject": (
        lambda a, o: workflow.application_reject(
            application_id=a.pk, officer=o, reason="Goods are not of Indian origin."
        ),
        "rejected",
        "Goods are not of Indian origin.",
    ),
    "clarify": (
        lambda a, o: workflow.application_request_clarification(
            application_id=a.pk, officer=o, message="Which vessel carries lot 2?"
        ),
        "needs more information",
        "Which vessel carries lot 2?",
    ),
}


@pytest.fixture
def in_review(submitted, olivia):
    workflow.application_start_review(application_id=submitted.pk, officer=olivia)
    return submitted


@pytest.mark.parametrize("name", DECISIONS)
def test_each_decision_sends_one_email_and_one_sms_after_commit(
    name, in_review, olivia, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    decide, words, note = DECISIONS[name]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(in_review, olivia)
        assert mail_outbox == []
        assert sms_outbox == []
    for callback in callbacks:
        callback()

    assert len(mail_outbox) == 1
    email = mail_outbox[0]
    assert email.to == [alice.email]
    assert in_review.reference in email.subject
    assert note in email.body
    html = email.alternatives[0][0]
    assert note in html
    assert "<html" in html
    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == alice.mobile
    assert in_review.reference in sms_outbox[0].body
    assert words in (email.subject + email.body)


@pytest.mark.parametrize("name", DECISIONS)
def test_a_decision_rolled_back_sends_nothing(
    name,
    in_review,
    olivia,
    mail_outbox,
    sms_outbox,
    issuance_calls,
    django_capture_on_commit_callbacks,
):
    decide = DECISIONS[name][0]

    def decide_then_fail() -> None:
        with transaction.atomic():
            decide(in_review, olivia)
            raise RuntimeError("something later in the request failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        decide_then_fail()

    assert mail_outbox == []
    assert sms_outbox == []
    assert issuance_calls == []
    in_review.refresh_from_db()
    assert in_review.status == Status.UNDER_REVIEW


def test_the_exporter_sees_the_officers_message_on_their_timeline(
    in_review, olivia, alice, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.application_request_clarification(
            application_id=in_review.pk, officer=olivia, message="Which vessel carries lot 2?"
        )

    client.force_login(alice)
    page = client.get(reverse("applications:detail", args=[in_review.reference]))

    assert page.status_code == 200
    assert "Which vessel carries lot 2?" in page.content.decode()
