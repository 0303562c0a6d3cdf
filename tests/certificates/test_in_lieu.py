"""In-lieu replacement: a corrected certificate supersedes the one it replaces."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications.models import Application
from certificates.models import Certificate
from certificates.services import (
    CertificateError,
    certificate_request_replacement,
    certificate_revoke,
)
from tests.clients import exporter_client

from .conftest import pdf_text
from .factories import application_under_review, approve, issued_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def original(alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks):
    application = application_under_review(
        exporter=alice, officer=olivia, office=eic_mumbai, items=3, remarks="Original remarks"
    )
    return issued_certificate(application, django_capture_on_commit_callbacks)


def request_url(certificate: Certificate) -> str:
    return reverse("certificates:request-replacement", args=[certificate.number])


def test_the_exporter_gets_a_draft_prefilled_from_the_certificate(original, alice):
    response = exporter_client(alice).post(request_url(original))

    draft = Application.objects.get(replaces=original)
    source = original.application
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:detail", args=[draft.reference])
    assert draft.status == "draft"
    assert draft.reference != source.reference
    assert (draft.agency, draft.office, draft.agreement, draft.certificate_type) == (
        source.agency,
        source.office,
        source.agreement,
        source.certificate_type,
    )
    assert (draft.consignee_name, draft.port_of_loading, draft.remarks) == (
        source.consignee_name,
        source.port_of_loading,
        "Original remarks",
    )
    assert [i.description for i in draft.items.all()] == [i.description for i in source.items.all()]
    assert [i.number for i in draft.invoices.all()] == ["AE/2026/0042"]
    original.refresh_from_db()
    assert original.status == "valid"  # until the replacement is issued


def test_asking_twice_returns_the_same_draft(original, alice):
    first = certificate_request_replacement(certificate_id=original.pk, exporter=alice)
    second = certificate_request_replacement(certificate_id=original.pk, exporter=alice)

    assert first == second
    assert Application.objects.filter(replaces=original).count() == 1


def test_a_second_exporter_gets_404(original, bob):
    assert exporter_client(bob).post(request_url(original)).status_code == 404
    with pytest.raises(CertificateError):
        certificate_request_replacement(certificate_id=original.pk, exporter=bob)
    assert not Application.objects.filter(replaces=original).exists()


def test_a_revoked_certificate_cannot_be_replaced(original, alice, ada):
    certificate_revoke(certificate_id=original.pk, actor=ada, reason="Fraudulent invoice.")

    with pytest.raises(CertificateError, match="only a valid certificate"):
        certificate_request_replacement(certificate_id=original.pk, exporter=alice)


def test_issuing_the_replacement_supersedes_the_old_certificate(
    original, alice, olivia, django_capture_on_commit_callbacks, tmp_path
):
    draft = certificate_request_replacement(certificate_id=original.pk, exporter=alice)
    # Submitting and reviewing the draft is the applications' business: put it under review.
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, django_capture_on_commit_callbacks)

    replacement = Certificate.objects.get(application=draft)
    original.refresh_from_db()
    assert original.status == "superseded"
    assert original.superseded_by == replacement
    assert replacement.status == "valid"
    assert replacement.sequence == original.sequence + 1
    path = tmp_path / "replacement.pdf"
    path.write_bytes(replacement.pdf.read())
    assert f"Issued in lieu of certificate No. {original.number}" in pdf_text(path)


def test_the_old_application_page_shows_superseded_with_a_link(
    original, alice, olivia, django_capture_on_commit_callbacks
):
    draft = certificate_request_replacement(certificate_id=original.pk, exporter=alice)
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, django_capture_on_commit_callbacks)

    page = exporter_client(alice).get(
        reverse("applications:detail", args=[original.application.reference])
    )

    html = page.content.decode()
    assert 'data-certificate-status="superseded"' in html
    assert reverse("applications:detail", args=[draft.reference]) in html
    assert "Request a corrected certificate" not in html


def test_the_page_of_a_valid_certificate_offers_the_correction_and_the_download(original, alice):
    page = exporter_client(alice).get(
        reverse("applications:detail", args=[original.application.reference])
    )

    html = page.content.decode()
    assert 'data-certificate-status="valid"' in html
    assert reverse("certificates:download", args=[original.number]) in html
    assert request_url(original) in html
    assert "Checked by verifiers" in html


def test_a_verifier_who_saw_the_original_sees_it_superseded(
    original, alice, olivia, django_capture_on_commit_callbacks, client
):
    """With Redis the first lookup keeps the answer; issuing the replacement must drop it."""
    url = reverse("verification:api-certificate", kwargs={"number": original.number})
    code = {"code": original.verification_code}
    assert client.get(url, code).json()["status"] == "valid"

    draft = certificate_request_replacement(certificate_id=original.pk, exporter=alice)
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, django_capture_on_commit_callbacks)

    answer = client.get(url, code).json()
    assert answer["status"] == "superseded"
    assert answer["superseded_by"]["number"] == Certificate.objects.get(application=draft).number
