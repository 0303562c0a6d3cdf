"""Every event of the notification table: who is emailed and texted, with what, and that the
page tells the person acting exactly that (applications/notifications.py)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.sms import MemorySMSBackend
from applications import workflow
from applications.models import Status
from applications.notifications import NOTIFICATIONS, masked_email, masked_mobile
from tests import factories
from tests.clients import verified_client

pytestmark = pytest.mark.django_db

MOBILE = "+919812345678"


def app_url(name, application):
    return reverse(f"applications:{name}", args=[application.reference])


def officer_url(name, application):
    return reverse(f"officer:{name}", args=[application.reference])


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """POST as `client`, run what commit queues (the outbox publishes, eager Celery sends)
    and return the page's messages."""

    def post(client, url, data=None):
        mail.outbox.clear()
        MemorySMSBackend.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data or {}, follow=True)
        assert response.status_code == 200
        return " ".join(str(m) for m in response.context["messages"])

    return post


def with_mobile(user, verified=True):
    user.mobile = MOBILE
    user.save(update_fields=["mobile"])
    if user.is_exporter:
        profile = user.exporter_profile
        profile.mobile_verified_at = timezone.now() if verified else None
        profile.save(update_fields=["mobile_verified_at"])
    return user


def emails_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def sms_to(user):
    return [s for s in MemorySMSBackend.outbox if s.to == user.mobile]


def assert_told(claim, user, phrase, sms=True):
    """`user` got one email (and one SMS iff `sms`) containing `phrase`, and the claim on the
    page names exactly those addresses."""
    [email] = emails_to(user)
    assert phrase in email.subject + email.body
    assert masked_email(user.email) in claim
    if sms:
        [_text] = sms_to(user)  # exactly one, to the verified mobile
        assert masked_mobile(user.mobile) in claim
        assert "text message" in claim
    else:
        assert not sms_to(user)
        assert "text message" not in claim


@pytest.fixture
def paid(ready):
    factories.PaymentFactory(application=ready)
    return ready


def test_the_table_covers_every_status(db):
    statuses = {"submitted", "under_review", "clarification_requested", "rejected", "approved"}
    statuses |= {"issued", "withdrawn", "resubmitted", "paid", "revoked", "superseded"}
    assert statuses <= set(NOTIFICATIONS)
    assert {s.value for s in Status} - {"draft"} <= set(NOTIFICATIONS)


def test_submitting_emails_and_texts_a_verified_mobile_and_says_so(alice, alice_client, paid, run):
    with_mobile(alice)
    claim = run(alice_client, app_url("submit", paid))
    assert_told(claim, alice, paid.reference)
    assert "received" in sms_to(alice)[0].body


def test_without_a_verified_mobile_no_sms_is_sent_or_claimed(alice, alice_client, paid, run):
    with_mobile(alice, verified=False)
    claim = run(alice_client, app_url("submit", paid))
    assert_told(claim, alice, "received", sms=False)
    assert MemorySMSBackend.outbox == []


def test_without_a_mobile_no_sms_is_sent_or_claimed(alice, alice_client, paid, run):
    claim = run(alice_client, app_url("submit", paid))
    assert_told(claim, alice, "received", sms=False)
    assert (
        "An acknowledgement" not in alice_client.get(app_url("confirmation", paid)).content.decode()
    )


def test_the_fee_paid_sends_a_receipt(
    alice, alice_client, ready, django_capture_on_commit_callbacks
):
    with_mobile(alice)
    ready_client = alice_client
    ready_client.post(reverse("applications:pay", args=[ready.reference]))
    payment = ready.payments.get()
    with django_capture_on_commit_callbacks(execute=True):
        back = ready_client.post(
            reverse("applications:payment-sandbox", args=[payment.order_id]),
            {"outcome": "captured"},
        )
        response = ready_client.get(back["Location"], follow=True)
    [email] = emails_to(alice)
    assert "Fee paid" in email.subject
    assert "fee of INR" in sms_to(alice)[0].body
    # The receipt went with the gateway's notification, before the browser came back; the
    # return page says what that capture queued (read back from its outbox rows).
    claim = " ".join(str(m) for m in response.context["messages"])
    assert claim == (
        f"Payment received. We have sent you an email to {masked_email(alice.email)} "
        f"and a text message to {masked_mobile(alice.mobile)}."
    )


def _pay_in_sandbox(client, application, capture):
    client.post(reverse("applications:pay", args=[application.reference]))
    payment = application.payments.get()
    with capture(execute=True):
        back = client.post(
            reverse("applications:payment-sandbox", args=[payment.order_id]),
            {"outcome": "captured"},
        )
        response = client.get(back["Location"], follow=True)
    return " ".join(str(m) for m in response.context["messages"])


def test_the_return_page_names_only_the_email_when_no_sms_went(
    alice, alice_client, ready, django_capture_on_commit_callbacks
):
    with_mobile(alice, verified=False)
    claim = _pay_in_sandbox(alice_client, ready, django_capture_on_commit_callbacks)
    assert len(emails_to(alice)) == 1
    assert not sms_to(alice)
    assert claim == f"Payment received. We have sent you an email to {masked_email(alice.email)}."


def test_the_return_page_claims_nothing_when_the_capture_sent_nothing(
    alice, alice_client, ready, django_capture_on_commit_callbacks
):
    type(alice).objects.filter(pk=alice.pk).update(email="")  # nobody to write to
    claim = _pay_in_sandbox(alice_client, ready, django_capture_on_commit_callbacks)
    assert not mail.outbox
    assert not MemorySMSBackend.outbox
    assert claim == "Payment received."


@pytest.fixture
def under_review(alice, paid, olivia, run):
    with_mobile(alice)
    workflow.application_submit(application_id=paid.pk, exporter=alice)
    return paid


def test_starting_a_review_tells_the_exporter(under_review, alice, olivia, run):
    claim = run(verified_client(olivia), officer_url("start-review", under_review))
    assert_told_other(claim, alice, "under review")
    assert "under review" in sms_to(alice)[0].body


def assert_told_other(claim, exporter, phrase, sms=True):
    [email] = emails_to(exporter)
    assert phrase in email.subject + email.body
    assert sms_to(exporter) if sms else not sms_to(exporter)
    expected = "The exporter has been told by email and SMS." if sms else "by email."
    assert expected in claim
    assert masked_email(exporter.email) not in claim  # the officer is not shown the address


@pytest.fixture
def reviewing(under_review, olivia):
    workflow.application_start_review(application_id=under_review.pk, officer=olivia)
    return under_review


@pytest.mark.parametrize(
    ("action", "data", "phrase"),
    [
        ("clarify", {"message": "Send the invoice signed."}, "Send the invoice signed."),
        (
            "reject",
            {"reason": "Goods are not of Indian origin."},
            "Goods are not of Indian origin.",
        ),
        ("approve", {"remark": ""}, "approved"),
    ],
)
def test_each_decision_tells_the_exporter_and_the_officer_is_told_so(
    reviewing, alice, olivia, run, action, data, phrase, monkeypatch
):
    from certificates.tasks import issue_certificate_task

    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *a, **k: None)
    claim = run(verified_client(olivia), officer_url(action, reviewing), data)
    assert_told_other(claim, alice, phrase)


def test_the_exporter_without_a_verified_mobile_gets_no_sms_of_a_decision(
    reviewing, alice, olivia, run
):
    profile = alice.exporter_profile
    profile.mobile_verified_at = None
    profile.save(update_fields=["mobile_verified_at"])
    claim = run(verified_client(olivia), officer_url("reject", reviewing), {"reason": "No."})
    assert_told_other(claim, alice, "No.", sms=False)
    assert "SMS" not in claim


def test_releasing_tells_nobody_and_claims_nothing(reviewing, olivia, run):
    claim = run(verified_client(olivia), officer_url("release", reviewing))
    assert mail.outbox == []
    assert MemorySMSBackend.outbox == []
    assert "told" not in claim
    assert "sent" not in claim


def test_reassigning_tells_the_new_officer(reviewing, ada, eic_mumbai, run):
    priya = factories.OfficerFactory(
        username="priya",
        first_name="Priya",
        last_name="Iyer",
        officer_profile__agency=eic_mumbai.agency,
        officer_profile__office=eic_mumbai,
    )
    claim = run(verified_client(ada), officer_url("reassign", reviewing), {"to_officer": priya.pk})
    [email] = emails_to(priya)
    assert "assigned to you" in email.subject
    assert MemorySMSBackend.outbox == []
    assert "Priya Iyer, the officer reviewing it, has been told by email." in claim


@pytest.fixture
def clarifying(reviewing, olivia):
    workflow.application_request_clarification(
        application_id=reviewing.pk, officer=olivia, message="Send the invoice signed."
    )
    return reviewing


def test_a_reply_acknowledges_the_exporter_and_tells_the_officer(
    clarifying, alice, alice_client, olivia, run
):
    reply = "Signed invoice uploaded."
    claim = run(alice_client, app_url("submit", clarifying), {"reply": reply})
    assert_told(claim, alice, "reply")
    [to_officer] = emails_to(olivia)
    assert reply in to_officer.body
    assert clarifying.reference in to_officer.subject
    assert reverse("officer:review", args=[clarifying.reference]) in to_officer.body
    assert "Olivia Rao, the officer reviewing it, has been told by email." in claim
    assert len(mail.outbox) == 2


def test_a_reply_with_nobody_holding_it_goes_to_the_office_queue(
    clarifying, alice, alice_client, olivia, ada, run
):
    olivia.is_active = False
    olivia.save(update_fields=["is_active"])
    claim = run(alice_client, app_url("submit", clarifying), {"reply": "Done."})
    [to_ada] = emails_to(ada)
    assert "Done." in to_ada.body
    assert not emails_to(olivia)
    assert "The officers of EIA Mumbai have been told by email." in claim


def test_withdrawing_tells_the_exporter_and_the_officer_holding_it(
    clarifying, alice, alice_client, olivia, run
):
    claim = run(alice_client, app_url("withdraw", clarifying))
    assert_told(claim, alice, "withdrawn")
    [to_officer] = emails_to(olivia)
    assert "withdrawn" in to_officer.subject
    assert "Olivia Rao, the officer reviewing it, has been told by email." in claim


def test_withdrawing_a_draft_tells_only_the_exporter(alice, alice_client, ready, run):
    claim = run(alice_client, app_url("withdraw", ready))
    assert_told(claim, alice, "withdrawn", sms=False)
    assert len(mail.outbox) == 1
    assert "told" not in claim
