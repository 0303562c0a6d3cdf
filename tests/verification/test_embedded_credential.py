"""A certificate PDF whose embedded credential was swapped for another certificate's is not
authentic: the swap is an update after signing, which the certification signature forbids,
and the file's bytes are no revision in the register."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from certificates.credential import credential_attach
from certificates.selectors import certificate_pdf_bytes
from tests import credentials as vc
from tests.certificates.factories import application_under_review, issued_certificate
from verification.models import VerificationLog
from verification.services import verification_check_document
from verification.vc_check import REASONS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eic_signing_key")]


def test_a_pdf_carrying_another_certificates_credential_is_refused(
    alice, olivia, eic_mumbai, django_capture_on_commit_callbacks
) -> None:
    first, second = (
        issued_certificate(
            application_under_review(exporter=alice, officer=olivia, office=eic_mumbai),
            django_capture_on_commit_callbacks,
        )
        for _ in range(2)
    )
    pdf = certificate_pdf_bytes(first)
    others = vc.embedded_credential(certificate_pdf_bytes(second))
    assert vc.payload_of(others)["credentialSubject"]["certificateNumber"] == second.number

    swapped = credential_attach(pdf, others)
    genuine = verification_check_document(data=pdf, client_address="203.0.113.9")
    answer = verification_check_document(data=swapped, client_address="203.0.113.9")

    assert genuine.authentic
    assert genuine.certificate == first
    assert not answer.authentic
    assert answer.reason == "signature_invalid"


# -- a PDF signed with another certificate's credential inside, and the credential check ----------


@pytest.fixture
def two_certificates(alice, olivia, eic_mumbai, django_capture_on_commit_callbacks, monkeypatch):
    """The first certificate as issued; the second signed (by the portal's own key, so the
    signature holds and its bytes are in the register) with the first's credential attached
    in place of its own: what a fault or an insider at issuance could produce."""
    first = issued_certificate(
        application_under_review(exporter=alice, officer=olivia, office=eic_mumbai),
        django_capture_on_commit_callbacks,
    )
    firsts = vc.embedded_credential(certificate_pdf_bytes(first))
    monkeypatch.setattr(
        "certificates.credential.credential_attach",
        lambda pdf, token: credential_attach(pdf, firsts),
    )
    second = issued_certificate(
        application_under_review(exporter=alice, officer=olivia, office=eic_mumbai),
        django_capture_on_commit_callbacks,
    )
    monkeypatch.undo()
    return first, second


def test_a_signed_pdf_carrying_another_certificates_credential_is_refused_by_the_upload_check(
    two_certificates,
) -> None:
    first, second = two_certificates
    pdf = certificate_pdf_bytes(second)
    inside = vc.payload_of(vc.embedded_credential(pdf))
    assert inside["credentialSubject"]["certificateNumber"] == first.number  # the swap held

    answer = verification_check_document(data=pdf, client_address="203.0.113.9")
    genuine = verification_check_document(
        data=certificate_pdf_bytes(first), client_address="203.0.113.9"
    )

    assert genuine.authentic
    assert not answer.authentic
    assert answer.reason == "credential_mismatch"
    assert answer.certificate is None


def check_pdf_on_credential_page(client, pdf: bytes) -> str:
    upload = SimpleUploadedFile("certificate.pdf", pdf, content_type="application/pdf")
    response = client.post("/verify/credential/", {"upload": upload})
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'")


def test_the_credential_check_refuses_a_pdf_carrying_another_certificates_credential(
    client, two_certificates
) -> None:
    first, second = two_certificates

    swapped = check_pdf_on_credential_page(client, certificate_pdf_bytes(second))
    genuine = check_pdf_on_credential_page(client, certificate_pdf_bytes(first))

    assert "Refused" in swapped
    assert REASONS["pdf_mismatch"] in swapped
    assert second.number in swapped  # the PDF's certificate beside the credential's number
    assert "Valid credential" in genuine
    assert first.number in genuine
    logged = VerificationLog.objects.filter(channel=VerificationLog.Channel.CREDENTIAL)
    assert sorted(logged.values_list("outcome", flat=True)) == ["authentic", "refused"]


def test_the_credential_check_refuses_a_pdf_whose_credential_was_swapped_after_signing(
    client, alice, olivia, eic_mumbai, django_capture_on_commit_callbacks
) -> None:
    first, second = (
        issued_certificate(
            application_under_review(exporter=alice, officer=olivia, office=eic_mumbai),
            django_capture_on_commit_callbacks,
        )
        for _ in range(2)
    )
    others = vc.embedded_credential(certificate_pdf_bytes(second))
    swapped = credential_attach(certificate_pdf_bytes(first), others)

    page = check_pdf_on_credential_page(client, swapped)

    assert "Refused" in page
    assert REASONS["pdf_not_authentic"] in page
    assert "Valid credential" not in page
