"""Certified true copy (issue 29): a lost, stolen or destroyed certificate is copied by the
agency within its validity, marked CERTIFIED TRUE COPY with the original's number and date
(AIFTA OCP rule 17), with its own number and signature; the original stays valid and the
register links both."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.services import application_update, line_item_update
from applications.workflow import WorkflowError
from certificates.models import Certificate
from certificates.services import (
    CertificateError,
    certificate_request_certified_copy,
    certificate_revoke,
    certified_copy_deadline,
)
from tests import credentials as vc
from tests.clients import exporter_client, verified_client
from tests.factories import pdf_bytes

from .conftest import pdf_text
from .factories import application_under_review, approve, issued_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def original(alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks):
    application = application_under_review(
        exporter=alice, officer=olivia, office=eic_mumbai, items=2, remarks="Original remarks"
    )
    return issued_certificate(application, django_capture_on_commit_callbacks)


def request_url(certificate: Certificate) -> str:
    return reverse("certificates:request-certified-copy", args=[certificate.number])


def issued_copy(original, alice, olivia, capture) -> Certificate:
    draft = certificate_request_certified_copy(
        certificate_id=original.pk, exporter=alice, reason="lost"
    )
    # Submitting and reviewing the draft is the applications' business: put it under review.
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, capture)
    return Certificate.objects.get(application=draft)


def test_the_exporter_asks_for_a_copy_saying_what_happened(original, alice):
    response = exporter_client(alice).post(request_url(original), {"reason": "stolen"})

    draft = Application.objects.get(certified_copy_of=original)
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:detail", args=[draft.reference])
    assert (draft.status, draft.copy_reason) == ("draft", "stolen")
    assert [i.description for i in draft.items.all()] == [
        i.description for i in original.application.items.all()
    ]
    assert draft.events.filter(
        note__contains=f"certified true copy of certificate {original.number}"
    )


def test_asking_twice_returns_the_open_request(original, alice):
    first = certificate_request_certified_copy(
        certificate_id=original.pk, exporter=alice, reason="lost"
    )
    second = certificate_request_certified_copy(
        certificate_id=original.pk, exporter=alice, reason="destroyed"
    )
    assert first == second


def test_without_a_reason_nothing_is_made(original, alice):
    response = exporter_client(alice).post(request_url(original), {"reason": ""}, follow=True)
    assert "lost, stolen or destroyed" in response.content.decode()
    assert not Application.objects.filter(certified_copy_of=original).exists()


def test_another_exporter_gets_404(original, bob):
    assert exporter_client(bob).post(request_url(original), {"reason": "lost"}).status_code == 404
    with pytest.raises(CertificateError):
        certificate_request_certified_copy(certificate_id=original.pk, exporter=bob, reason="lost")


def test_a_revoked_certificate_is_not_copied(original, alice, ada):
    certificate_revoke(certificate_id=original.pk, actor=ada, reason="Fraudulent invoice.")
    with pytest.raises(CertificateError, match="valid certificate only"):
        certificate_request_certified_copy(
            certificate_id=original.pk, exporter=alice, reason="lost"
        )


def test_only_within_the_originals_validity(original, alice):
    # AIFTA: the copy within one year of the original's issue (OCP rule 17).
    issued = timezone.localdate(original.issued_at)
    assert certified_copy_deadline(original) == issued.replace(year=issued.year + 1) - timedelta(
        days=1
    )
    Certificate.objects.filter(pk=original.pk).update(
        issued_at=original.issued_at - timedelta(days=366)
    )
    original.refresh_from_db()
    with pytest.raises(CertificateError, match="within the original's validity"):
        certificate_request_certified_copy(
            certificate_id=original.pk, exporter=alice, reason="lost"
        )


def test_the_request_cannot_change_the_particulars_but_takes_a_declaration(original, alice):
    draft = certificate_request_certified_copy(
        certificate_id=original.pk, exporter=alice, reason="lost"
    )
    item = draft.items.first()
    with pytest.raises(WorkflowError, match="certified true copy"):
        line_item_update(
            application_id=draft.pk,
            exporter=alice,
            item_id=item.pk,
            data={"description": "Something else"},
        )
    with pytest.raises(WorkflowError, match="certified true copy"):
        application_update(
            application_id=draft.pk, exporter=alice, data={"consignee_name": "Someone else"}
        )
    # The same particulars saved again, and the declaration, are taken.
    application_update(
        application_id=draft.pk,
        exporter=alice,
        data={"consignee_name": draft.consignee_name, "declaration_name": "Alice Fernandes"},
    )


def test_the_copy_prints_the_originals_particulars_number_and_date_marked(
    original, alice, olivia, django_capture_on_commit_callbacks, tmp_path
):
    copy = issued_copy(original, alice, olivia, django_capture_on_commit_callbacks)

    original.refresh_from_db()
    assert original.status == "valid"  # a copy replaces nothing
    assert copy.status == "valid"
    assert copy.number != original.number
    path = tmp_path / "copy.pdf"
    path.write_bytes(pdf_bytes(copy))
    text = pdf_text(path)
    original_date = timezone.localdate(original.issued_at).strftime("%d %b %Y")
    assert "CERTIFIED TRUE COPY" in text
    assert (
        f"Certified true copy of certificate No. {original.number} issued on {original_date}"
        in (text)
    )
    assert f"CERTIFIED TRUE COPY of certificate No. {original.number}" in text  # box 12
    assert copy.number in text
    assert "Original remarks" in text


def test_the_credential_and_the_register_link_copy_and_original(
    original, alice, olivia, django_capture_on_commit_callbacks, client
):
    copy = issued_copy(original, alice, olivia, django_capture_on_commit_callbacks)

    claims = vc.payload_of(
        exporter_client(alice)
        .get(reverse("certificates:credential", args=[copy.number]))
        .content.decode()
    )
    assert claims["credentialSubject"]["certifiedTrueCopyOf"].startswith(f"No. {original.number}")
    api = client.get(
        reverse("verification:api-certificate", kwargs={"number": copy.number}),
        {"code": copy.verification_code},
    ).json()
    assert api["certified_true_copy_of"]["number"] == original.number
    page = client.get(
        reverse("verification:verify-certificate", kwargs={"number": copy.number}),
        {"code": copy.verification_code},
    ).content.decode()
    assert "Certified true copy of" in page
    assert original.number in page
    # The original's page lists the copy.
    html = (
        exporter_client(alice)
        .get(reverse("applications:detail", args=[original.application.reference]))
        .content.decode()
    )
    assert "Certified true copies" in html
    assert copy.number in html


def test_the_request_says_what_it_asks_for_to_exporter_and_officer(original, alice, olivia):
    draft = certificate_request_certified_copy(
        certificate_id=original.pk, exporter=alice, reason="destroyed"
    )
    Application.objects.filter(pk=draft.pk).update(
        status="under_review", assigned_officer=olivia, first_submitted_at=timezone.now()
    )
    said = f"Asks for a certified true copy of certificate {original.number}"

    exporter_page = exporter_client(alice).get(
        reverse("applications:detail", args=[draft.reference])
    )
    officer_page = verified_client(olivia).get(reverse("officer:review", args=[draft.reference]))

    assert said in exporter_page.content.decode()
    assert said in officer_page.content.decode()
    assert "(the original was destroyed)" in officer_page.content.decode()
