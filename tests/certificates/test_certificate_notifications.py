"""Certificate events of the notification table (applications/notifications.py): issued,
revoked and superseded, each emailed and texted to the exporter; the revoking page says so."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.sms import MemorySMSBackend
from applications.models import Application
from applications.notifications import masked_email
from certificates.services import certificate_request_replacement
from tests.clients import verified_client

from .factories import application_under_review, approve, issued_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(alice):
    alice.mobile = "+919812345678"
    alice.save(update_fields=["mobile"])
    return alice


@pytest.fixture
def application(alice, olivia, eic_mumbai, eic_key):
    return application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)


def test_issuing_emails_and_texts_the_exporter(
    application, alice, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    certificate = issued_certificate(application, django_capture_on_commit_callbacks)
    [issued] = [m for m in mail.outbox if certificate.number in m.subject]
    assert issued.to == [alice.email]
    assert any(
        certificate.number in s.body for s in MemorySMSBackend.outbox if s.to == alice.mobile
    )


def test_without_a_verified_mobile_issuing_sends_no_sms(
    application, alice, django_capture_on_commit_callbacks
):
    profile = alice.exporter_profile
    profile.mobile_verified_at = None
    profile.save(update_fields=["mobile_verified_at"])
    MemorySMSBackend.outbox.clear()
    issued_certificate(application, django_capture_on_commit_callbacks)
    assert MemorySMSBackend.outbox == []


def test_revoking_tells_the_exporter_and_the_page_says_exactly_that(
    application, alice, ada, django_capture_on_commit_callbacks
):
    certificate = issued_certificate(application, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    MemorySMSBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = verified_client(ada).post(
            reverse("certificates:revoke", args=[certificate.number]),
            {"reason": "Not of Indian origin."},
            follow=True,
        )
    claim = " ".join(str(m) for m in response.context["messages"])
    [email] = mail.outbox
    assert email.to == [alice.email]
    assert "revoked" in email.subject
    [sms] = MemorySMSBackend.outbox
    assert sms.to == alice.mobile
    assert "The exporter has been told by email and SMS." in claim
    assert masked_email(alice.email) not in claim


def test_a_replacement_tells_the_exporter_the_old_certificate_is_superseded(
    application, alice, olivia, django_capture_on_commit_callbacks
):
    original = issued_certificate(application, django_capture_on_commit_callbacks)
    draft = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason="The consignee's address was wrong."
    )
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    mail.outbox.clear()
    MemorySMSBackend.outbox.clear()
    approve(draft, django_capture_on_commit_callbacks)
    [superseded] = [m for m in mail.outbox if "superseded" in m.subject]
    assert superseded.to == [alice.email]
    assert original.number in superseded.body
    assert any("superseded" in s.body for s in MemorySMSBackend.outbox)
