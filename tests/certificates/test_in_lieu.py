"""In-lieu replacement: a corrected certificate supersedes the one it replaces."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from applications.selectors import fee_for, submission_problems
from applications.services import payment_start
from applications.workflow import WorkflowError
from certificates.models import Certificate
from certificates.services import (
    CertificateError,
    certificate_request_replacement,
    certificate_revoke,
)
from tests import factories
from tests.clients import exporter_client, verified_client
from tests.factories import pdf_bytes

from .conftest import pdf_text
from .factories import application_under_review, approve, issued_certificate

pytestmark = pytest.mark.django_db

REASON = "The consignee's address was wrong."


@pytest.fixture
def original(alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks):
    application = application_under_review(
        exporter=alice, officer=olivia, office=eic_mumbai, items=3, remarks="Original remarks"
    )
    return issued_certificate(application, django_capture_on_commit_callbacks)


def request_url(certificate: Certificate) -> str:
    return reverse("certificates:request-replacement", args=[certificate.number])


def test_the_exporter_gets_a_draft_prefilled_from_the_certificate(original, alice):
    response = exporter_client(alice).post(request_url(original), {"reason": REASON})

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
    first = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )
    second = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )

    assert first == second
    assert Application.objects.filter(replaces=original).count() == 1


def test_a_second_exporter_gets_404(original, bob):
    assert exporter_client(bob).post(request_url(original), {"reason": REASON}).status_code == 404
    with pytest.raises(CertificateError):
        certificate_request_replacement(certificate_id=original.pk, exporter=bob, reason=REASON)
    assert not Application.objects.filter(replaces=original).exists()


def test_a_revoked_certificate_cannot_be_replaced(original, alice, ada):
    certificate_revoke(certificate_id=original.pk, actor=ada, reason="Fraudulent invoice.")

    with pytest.raises(CertificateError, match="only a valid certificate"):
        certificate_request_replacement(certificate_id=original.pk, exporter=alice, reason=REASON)


def test_issuing_the_replacement_supersedes_the_old_certificate(
    original, alice, olivia, django_capture_on_commit_callbacks, tmp_path
):
    draft = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )
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
    path.write_bytes(pdf_bytes(replacement))
    assert f"Issued in lieu of certificate No. {original.number}" in pdf_text(path)


def test_the_old_application_page_shows_superseded_with_a_link(
    original, alice, olivia, django_capture_on_commit_callbacks
):
    draft = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )
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

    draft = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, django_capture_on_commit_callbacks)

    answer = client.get(url, code).json()
    assert answer["status"] == "superseded"
    assert answer["superseded_by"]["number"] == Certificate.objects.get(application=draft).number


# -- issue 33, item 3: a reason, the documents, the agency's fee, the officer's diff ----------


def test_a_reason_is_required_and_kept_on_the_new_timeline(original, alice):
    client = exporter_client(alice)
    refused = client.post(request_url(original), {"reason": "  "}, follow=True)
    assert "Say why the certificate needs to be corrected." in refused.content.decode()
    assert not Application.objects.filter(replaces=original).exists()

    client.post(request_url(original), {"reason": REASON})
    draft = Application.objects.get(replaces=original)
    assert draft.in_lieu_reason == REASON
    event = draft.events.get(note__startswith="Requested in lieu")
    assert event.note.startswith(f"Requested in lieu of certificate {original.number}. Reason: ")
    page = client.get(reverse("applications:detail", args=[draft.reference])).content.decode()
    assert "Correction requested" in page
    assert "Reason: The consignee&#x27;s address was wrong." in page


def test_the_documents_are_carried_over_as_files_of_their_own_and_replaceable(original, alice):
    source = original.application
    factories.DocumentFactory(application=source, kind="commercial_invoice")
    factories.DocumentFactory(application=source, kind="packing_list", original_name="pl.pdf")
    draft = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )
    copies = list(draft.documents.order_by("kind"))
    assert [(d.kind, d.original_name) for d in copies] == [
        ("commercial_invoice", "invoice.pdf"),
        ("packing_list", "pl.pdf"),
    ]
    originals = {d.kind: d for d in source.documents.all()}
    for copy in copies:
        assert copy.file.name != originals[copy.kind].file.name
        assert copy.file.name.startswith(f"documents/{draft.reference}/")
        with copy.file.open("rb") as stored:
            assert stored.read() == b"%PDF-1.4 test"
    # Replaceable: removing the copy leaves the original's file where it was.
    client = exporter_client(alice)
    client.post(reverse("applications:document-remove", args=[draft.reference, copies[0].pk]))
    assert not draft.documents.filter(pk=copies[0].pk).exists()
    kept = originals["commercial_invoice"]
    assert kept.file.storage.exists(kept.file.name)
    assert "upload the commercial invoice" in submission_problems(draft)
    assert "upload the packing list" not in submission_problems(draft)  # carried over


@pytest.mark.parametrize(
    ("policy", "percent", "due", "said"),
    [
        (
            "full",
            50,
            "200.00",
            "charges the full fee, INR 200.00, for a certificate issued in lieu",
        ),
        (
            "reduced",
            25,
            "50.00",
            "charges 25% of the fee for a certificate issued in lieu of one "
            "of its own: INR 50.00 instead of INR 200.00",
        ),
        ("none", 50, "0.00", "charges no fee for a certificate issued in lieu of one of its own"),
    ],
)
def test_the_fee_follows_the_agencys_policy_and_is_said_before_payment(
    original, alice, policy, percent, due, said
):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    agency = original.application.agency
    agency.in_lieu_fee, agency.in_lieu_fee_percent = policy, percent
    agency.save()
    draft = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )
    fee = fee_for(draft)
    assert fee is not None
    assert fee.amount == Decimal(due)
    check = exporter_client(alice).get(reverse("applications:check", args=[draft.reference]))
    page = check.content.decode()
    assert said in page
    if policy == "none":
        assert "No fee is due." in page
        assert "pay the fee" not in submission_problems(draft)
        with pytest.raises(WorkflowError, match="No fee is due"):
            payment_start(application_id=draft.pk, exporter=alice)
    else:
        assert f"Pay INR {due}" in page
        assert "pay the fee" in submission_problems(draft)
        payment = payment_start(application_id=draft.pk, exporter=alice)
        assert payment.amount == Decimal(due)


def test_an_ordinary_application_pays_the_schedules_fee_whatever_the_policy(original, alice):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    agency = original.application.agency
    agency.in_lieu_fee = "none"
    agency.save()
    assert fee_for(original.application).amount == Decimal("200.00")


def test_the_officer_sees_the_reason_and_what_differs_from_the_original(original, alice, olivia):
    draft = certificate_request_replacement(
        certificate_id=original.pk, exporter=alice, reason=REASON
    )
    Application.objects.filter(pk=draft.pk).update(
        consignee_address="Jl. Thamrin 9, Jakarta",
        status="under_review",
        assigned_officer=olivia,
        first_submitted_at=timezone.now(),
    )
    item = draft.items.get(position=2)
    item.gross_weight_kg = Decimal("999.000")
    item.save()
    draft.items.get(position=3).delete()
    page = verified_client(olivia).get(reverse("officer:review", args=[draft.reference]))
    html = " ".join(page.content.decode().split())
    assert f"In lieu of certificate {original.number}" in html
    assert "The consignee&#x27;s address was wrong." in html
    assert (
        "Changed: Consignee address: Jl. Sudirman 1, Jakarta \u2192 Jl. Thamrin 9, Jakarta" in html
    )
    assert "Goods: Item 2 gross weight kg: " in html
    assert "Goods: Item 3 removed" in html
    assert "Declaration" not in html.split('id="in-lieu"')[1].split("</div>")[0]
