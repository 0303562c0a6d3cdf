"""Issuance: approving an application issues one signed certificate, exactly once."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError

from applications.models import Application, ApplicationEvent
from certificates import keys, signing
from certificates.models import (
    Certificate,
    CertificateCounter,
    CertificateReservation,
    IssuanceAttempt,
)
from certificates.selectors import (
    applications_annotate_issuance_delayed,
)
from certificates.services import (
    VERIFICATION_ALPHABET,
    CertificateError,
    certificate_issue,
)
from certificates.tasks import issue_certificate_task
from certificates.validation import check_signed_pdf
from tests.clients import exporter_client
from tests.factories import pdf_bytes

from .factories import application_under_review, approve, issued_certificate

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


@pytest.fixture
def alice(alice):
    alice.mobile = "+919812345678"
    alice.save(update_fields=["mobile"])
    return alice


@pytest.fixture
def application(alice, olivia, eic_mumbai):
    return application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)


def test_approving_an_application_issues_exactly_one_signed_certificate(
    application, eic_key, django_capture_on_commit_callbacks, sms_outbox
):
    approve(application, django_capture_on_commit_callbacks)

    certificate = Certificate.objects.get(application=application)
    application.refresh_from_db()
    assert application.status == "issued"
    assert certificate.number == f"EIC/{YEAR}/MUM/0000001"
    assert certificate.status == "valid"
    assert certificate.signing_officer == application.assigned_officer
    stored = pdf_bytes(certificate)
    assert hashlib.sha256(stored).hexdigest() == certificate.sha256
    assert check_signed_pdf(stored).ok
    assert IssuanceAttempt.objects.get(application=application).succeeded
    assert ApplicationEvent.objects.filter(
        application=application, to_status="issued", note__contains=certificate.number
    ).exists()


def test_the_exporter_is_told_by_email_with_a_link_and_by_sms(
    application, eic_key, django_capture_on_commit_callbacks, sms_outbox, alice
):
    mail.outbox.clear()
    certificate = issued_certificate(application, django_capture_on_commit_callbacks)

    issued = [m for m in mail.outbox if certificate.number in m.subject]
    assert len(issued) == 1
    assert issued[0].to == [alice.email]
    assert reverse("certificates:download", args=[certificate.number]) in issued[0].body
    assert any(certificate.number in sms.body and sms.to == alice.mobile for sms in sms_outbox)


def test_running_the_task_again_changes_nothing(
    application, eic_key, django_capture_on_commit_callbacks, sms_outbox
):
    certificate = issued_certificate(application, django_capture_on_commit_callbacks)
    mails, texts = len(mail.outbox), len(sms_outbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert issue_certificate_task.delay(application.pk).get() == certificate.number
        assert certificate_issue(application_id=application.pk) == certificate

    assert Certificate.objects.filter(application=application).count() == 1
    assert CertificateCounter.objects.get(office=application.office, year=YEAR).last == 1
    assert (len(mail.outbox), len(sms_outbox)) == (mails, texts)
    assert pdf_bytes(certificate) == pdf_bytes(Certificate.objects.get(pk=certificate.pk))


def test_the_number_follows_the_previous_one_of_that_office_and_year(
    alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks
):
    CertificateCounter.objects.create(office=eic_mumbai, year=YEAR, last=122)
    first = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    second = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)

    a = issued_certificate(first, django_capture_on_commit_callbacks)
    b = issued_certificate(second, django_capture_on_commit_callbacks)

    assert (a.number, b.number) == (f"EIC/{YEAR}/MUM/0000123", f"EIC/{YEAR}/MUM/0000124")
    assert (a.sequence, b.sequence) == (123, 124)


def test_the_verification_code_is_random_and_has_no_look_alike_characters(
    alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks
):
    codes = [
        issued_certificate(
            application_under_review(exporter=alice, officer=olivia, office=eic_mumbai, items=1),
            django_capture_on_commit_callbacks,
        ).verification_code
        for _ in range(3)
    ]
    assert len(set(codes)) == 3
    for code in codes:
        assert len(code) >= 10
        assert re.fullmatch(f"[{VERIFICATION_ALPHABET}]+", code)
        assert not set(code) & set("0O1IL")


def test_an_application_that_is_not_approved_is_refused(application, eic_key):
    with pytest.raises(CertificateError, match="under review"):
        certificate_issue(application_id=application.pk)
    assert not Certificate.objects.exists()


def test_the_application_page_says_the_certificate_is_being_issued(
    application, django_capture_on_commit_callbacks, alice, monkeypatch
):
    # The task has not run yet (a busy worker): the approval is visible, the certificate not.
    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *args, **kwargs: None)
    approve(application, django_capture_on_commit_callbacks)

    page = exporter_client(alice).get(reverse("applications:detail", args=[application.reference]))

    assert "Approved, certificate being issued" in page.content.decode()


# ---------------------------------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------------------------------


class UnreachableTimeStampingAuthority(TimeStamper):
    async def async_request_tsa_response(self, req):
        raise TimestampRequestError("Error while contacting timestamp service")


def test_a_failed_signing_is_retried_on_one_reserved_number_then_shown_as_delayed(
    application, django_capture_on_commit_callbacks, alice, settings, eic, eic_key, monkeypatch
):
    # The time-stamping authority is down: every attempt fails after the number was reserved.
    monkeypatch.setattr(signing, "get_timestamper", UnreachableTimeStampingAuthority)
    settings.CERTIFICATE_ISSUE_MAX_RETRIES = 2
    approve(application, django_capture_on_commit_callbacks)

    attempts = list(IssuanceAttempt.objects.filter(application=application).order_by("pk"))
    assert [a.final for a in attempts] == [False, False, True]
    assert all("TimestampRequestError" in a.error and not a.succeeded for a in attempts)
    application.refresh_from_db()
    assert application.status == "approved"
    assert not Certificate.objects.exists()
    # Three attempts, one number: the retries reused the reservation.
    assert CertificateCounter.objects.get().last == 1
    assert CertificateReservation.objects.get(application=application).sequence == 1
    assert flagged_in(eic) == [application]
    flagged = applications_annotate_issuance_delayed(Application.objects.all()).get()
    assert flagged.issuance_delayed
    page = exporter_client(alice).get(reverse("applications:detail", args=[application.reference]))
    assert "Issue delayed — the agency has been alerted" in page.content.decode()


def test_an_agency_without_a_signing_key_is_refused_at_once_and_flagged(
    application, django_capture_on_commit_callbacks, settings, eic
):
    settings.CERTIFICATE_ISSUE_MAX_RETRIES = 2
    approve(application, django_capture_on_commit_callbacks)

    attempt = IssuanceAttempt.objects.get(application=application)
    assert attempt.final
    assert not attempt.succeeded
    assert "cannot be signed: No signing key for agency 'EIC'" in attempt.error
    application.refresh_from_db()
    assert application.status == "approved"
    assert not Certificate.objects.exists()
    assert flagged_in(eic) == [application]


def test_production_settings_refuse_to_issue_with_a_development_key(
    application, django_capture_on_commit_callbacks, settings, eic, eic_key
):
    """DEBUG=0 with the development key still on disk and no SIGNING_P12_EIC: refused, the
    application stays approved and flagged, and no number is used."""
    settings.DEBUG = settings.TESTING = False
    keys.clear_caches()
    approve(application, django_capture_on_commit_callbacks)

    attempt = IssuanceAttempt.objects.get(application=application)
    assert attempt.final
    assert "No production signing key for agency 'EIC'" in attempt.error
    application.refresh_from_db()
    assert application.status == "approved"
    assert not Certificate.objects.exists()
    assert not CertificateCounter.objects.filter(last__gt=0).exists()
    assert flagged_in(eic) == [application]


def test_a_rerun_after_the_failure_is_fixed_issues_the_first_number(
    application, django_capture_on_commit_callbacks, settings, signing_keys, eic
):
    settings.CERTIFICATE_ISSUE_MAX_RETRIES = 0
    approve(application, django_capture_on_commit_callbacks)
    assert IssuanceAttempt.objects.get().final

    keys.ensure_agency_key("EIC", "Export Inspection Council")
    with django_capture_on_commit_callbacks(execute=True):
        issue_certificate_task.delay(application.pk)

    certificate = Certificate.objects.get(application=application)
    assert certificate.number.endswith("/0000001")
    assert flagged_in(eic) == []


def test_a_worker_that_died_mid_task_leaves_nothing_half_done(
    application, eic_key, django_capture_on_commit_callbacks, monkeypatch
):
    """The finishing transaction is all or nothing: a crash after the PDF was stored and the
    row written (here: while marking the application issued) leaves no certificate and no
    changed status, only the reserved number, which the redelivered task issues under."""
    from certificates import services

    def crash(**kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *args, **kwargs: None)
    approve(application, django_capture_on_commit_callbacks)
    with monkeypatch.context() as m:
        m.setattr(services, "application_mark_issued", crash)
        with pytest.raises(SystemExit):
            certificate_issue(application_id=application.pk)

    assert not Certificate.objects.exists()
    application.refresh_from_db()
    assert application.status == "approved"
    assert CertificateReservation.objects.get(application=application).sequence == 1
    certificate = certificate_issue(application_id=application.pk)
    assert certificate.sequence == 1
    assert CertificateCounter.objects.get().last == 1
    assert not CertificateReservation.objects.exists()
    assert default_storage.exists(certificate.pdf.name)


def test_a_failure_while_finishing_gives_the_credentials_status_entry_back(
    application, eic_key, django_capture_on_commit_callbacks, monkeypatch
):
    from certificates import services
    from certificates.models import Credential

    def refuse(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(issue_certificate_task, "apply_async", lambda *args, **kwargs: None)
    approve(application, django_capture_on_commit_callbacks)
    with monkeypatch.context() as m:
        m.setattr(services, "application_mark_issued", refuse)
        with pytest.raises(RuntimeError):
            certificate_issue(application_id=application.pk)
    assert not Credential.objects.exists()

    certificate = certificate_issue(application_id=application.pk)
    assert Credential.objects.get().certificate == certificate


def test_a_number_issued_again_drops_an_answer_kept_for_it(
    application, eic_key, django_capture_on_commit_callbacks, client, settings
):
    """A number can come back after a database is restored from a backup; the answer Redis
    kept for it before must not be served for the new certificate."""
    from django.utils.safestring import mark_safe

    from verification import store
    from verification.answers import Answer

    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: no answers are kept on the embedded default")
    number, old_code = f"EIC/{YEAR}/MUM/0000001", "OLDC0DE23456"
    old = Answer(1, "old", mark_safe("old"), "<p>VALID, the old one</p>", '{"status": "valid"}')
    store.keep(number=number, code=old_code, token=store.token_claim(number), answer=old)

    approve(application, django_capture_on_commit_callbacks)

    url = reverse("verification:api-certificate", kwargs={"number": number})
    assert Certificate.objects.get(application=application).number == number
    assert client.get(url, {"code": old_code}).status_code == 404


def flagged_in(agency):
    """The agency's applications the officer queue flags as 'issuance delayed'."""
    rows = applications_annotate_issuance_delayed(Application.objects.filter(agency=agency))
    return [a for a in rows.order_by("decided_at", "pk") if a.issuance_delayed]
