"""Archive timestamps: a certificate keeps verifying after its TSA's certificate expires."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from certificates import keys, pki
from certificates.archive import certificates_archive_due
from certificates.models import Certificate, CertificateRevision
from certificates.selectors import certificate_pdf_bytes
from certificates.tasks import archive_timestamps_task
from certificates.validation import check_signed_pdf
from verification import document_check
from verification.services import verification_check_document

from .factories import application_under_review, issued_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def check_in_process(monkeypatch):
    """The upload check's children are forked from a forkserver started with the real clock;
    time_machine moves this process's only. Run the check here, so that it sees the moved
    clock as a child does the real one (the sandbox has tests of its own)."""

    def run(target, *args, budget):
        return SimpleNamespace(value=target(*args))

    monkeypatch.setattr(document_check.sandbox, "run", run)


@pytest.fixture
def certificate(alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks):
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    return issued_certificate(application, django_capture_on_commit_callbacks)


def renew_the_tsa() -> None:
    """The operator gives the (development) TSA a new certificate, as before the old expires."""
    (pki.keys_dir() / keys.DEV_TSA_FILE).unlink()
    keys.clear_caches()


def check(data: bytes) -> str:
    return verification_check_document(data=data, client_address="203.0.113.9").reason


def changed(data: bytes, at: int) -> bytes:
    altered = bytearray(data)
    altered[at] ^= 0x01
    return bytes(altered)


def test_issuance_registers_the_signed_and_the_issued_revision(certificate) -> None:
    revisions = list(certificate.revisions.order_by("size"))

    assert [r.kind for r in revisions] == ["signed", "issued"]
    assert revisions[-1].sha256 == certificate.sha256
    assert certificate.offline_until == revisions[-1].offline_until
    assert certificate.offline_until > timezone.now() + timedelta(days=365)
    assert check(certificate_pdf_bytes(certificate)[: revisions[0].size]) == "ok"


def test_nothing_is_due_today(certificate) -> None:
    out = StringIO()

    call_command("archive_timestamps", "--dry-run", stdout=out)

    assert "0 certificate(s) due" in out.getvalue()
    assert archive_timestamps_task() == []


def test_the_archive_task_adds_a_revision_both_pass_and_a_changed_byte_in_either_fails(
    certificate,
) -> None:
    issued = certificate_pdf_bytes(certificate)
    first_tsa_expiry = certificate.offline_until

    with time_machine.travel(first_tsa_expiry - timedelta(days=100), tick=True):
        out = StringIO()
        call_command("archive_timestamps", "--dry-run", stdout=out)
        assert f"{certificate.number}: verifies offline until" in out.getvalue()
        assert CertificateRevision.objects.count() == 2  # a dry run changes nothing
        renew_the_tsa()

        assert archive_timestamps_task() == [certificate.number]
        assert archive_timestamps_task() == []  # idempotent: it is no longer due

        certificate.refresh_from_db()
        archived = certificate_pdf_bytes(certificate)  # what the exporter downloads now
        kinds = list(certificate.revisions.order_by("size").values_list("kind", flat=True))
        assert kinds == ["signed", "issued", "archived"]
        assert archived.startswith(issued)
        assert len(archived) > len(issued)
        assert certificate.offline_until > first_tsa_expiry
        assert not certificates_archive_due().exists()
        assert check(issued) == "ok"
        assert check(archived) == "ok"
        assert check(changed(issued, issued.index(b"stream") + 40)) != "ok"
        assert check(changed(archived, len(archived) - 300)) != "ok"

    # past the first TSA certificate's (and the signing certificate's) end
    with time_machine.travel(first_tsa_expiry + timedelta(days=30), tick=True):
        assert check(archived) == "ok"
        assert check(changed(archived, len(archived) - 300)) != "ok"
        # the issued revision no longer validates alone, but its bytes are in the register
        assert check_signed_pdf(issued).reason == "unknown_key"
        assert check(issued) == "ok"
        assert check(changed(issued, issued.index(b"stream") + 40)) != "ok"


def test_the_portal_still_owns_an_archived_certificate_1500_days_on(certificate) -> None:
    first_tsa_expiry = certificate.offline_until
    with time_machine.travel(first_tsa_expiry - timedelta(days=100), tick=True):
        renew_the_tsa()
        archive_timestamps_task()
    archived = certificate_pdf_bytes(Certificate.objects.get(pk=certificate.pk))

    with time_machine.travel(certificate.issued_at + timedelta(days=1500), tick=True):
        assert check(archived) == "ok"


def test_the_system_check_refuses_an_archive_task_that_cannot_keep_up(settings) -> None:
    from certificates.checks import archive_timestamps_check

    assert archive_timestamps_check() == []
    settings.ARCHIVE_TIMESTAMP_HORIZON_DAYS = 0

    errors = archive_timestamps_check()

    assert [e.id for e in errors] == ["certificates.E020"]
    assert "ARCHIVE_TIMESTAMP_HORIZON_DAYS is 0" in errors[0].msg


def test_without_a_crl_issued_after_the_signature_the_archive_task_completes_it_later(
    alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    """A production CA publishes its CRL on its own schedule: until it has published one
    after the signature's timestamp, the certificate is issued B-LT, and due at once."""
    crls_after = pki.crl_ders_issued_after

    def not_yet(moment):
        raise pki.PkiError("The CRL /etc/coo/eic.crl was issued before the timestamp.")

    monkeypatch.setattr(pki, "crl_ders_issued_after", not_yet)
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    certificate = issued_certificate(application, django_capture_on_commit_callbacks)
    out = StringIO()
    call_command("archive_timestamps", stdout=out, stderr=StringIO())

    assert certificate.offline_until is None
    assert [r.kind for r in certificate.revisions.all()] == ["issued"]
    assert check(certificate_pdf_bytes(certificate)) == "ok"
    assert "0 renewed, 1 failed, 1 still due" in out.getvalue()

    monkeypatch.setattr(pki, "crl_ders_issued_after", crls_after)  # the CA has published
    assert archive_timestamps_task() == [certificate.number]

    certificate.refresh_from_db()
    assert certificate.offline_until is not None
    assert [r.kind for r in certificate.revisions.order_by("size")] == ["issued", "archived"]
    assert check(certificate_pdf_bytes(certificate)) == "ok"
