"""Documents: recognised by content, size-limited, private, served safely."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.applications.conftest import (
    encrypted_pdf,
    signed_in,
    tiny_pdf,
    tiny_png,
    upload_document,
)
from tests.clients import verified_client

pytestmark = pytest.mark.django_db


def upload(
    client,
    application,
    data: bytes,
    name="invoice.pdf",
    kind="commercial_invoice",
    content_type="application/pdf",
):
    return upload_document(client, application, data, name, kind, content_type)


def file_errors(response) -> list[str]:
    return response.context["form"].errors["file"]


def test_a_pdf_is_stored_with_its_size_and_sha256(alice_client, draft):
    import hashlib

    data = tiny_pdf()
    assert upload(alice_client, draft, data).status_code == 302
    document = draft.documents.get()
    assert (document.content_type, document.size) == ("application/pdf", len(data))
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert "invoice" not in document.file.name  # the stored name is not the uploader's


def test_a_png_is_recognised_by_content_whatever_its_name(alice_client, draft):
    upload(alice_client, draft, tiny_png(), name="scan.pdf", kind="packing_list")
    assert draft.documents.get().content_type == "image/png"


def test_the_documents_table_says_what_each_file_contains(alice_client, draft):
    upload(alice_client, draft, tiny_png(), name="scan.pdf", kind="packing_list")
    upload(alice_client, draft, tiny_pdf(), name="invoice.pdf")
    page = alice_client.get(reverse("applications:documents", args=[draft.reference]))
    html = page.content.decode()
    assert '<th scope="col">Content</th>' in html
    rows = html.split("<tr>")[2:]  # after the header row
    [png_row] = [r for r in rows if '"Type">Packing list<' in r]
    [pdf_row] = [r for r in rows if '"Type">Commercial invoice<' in r]
    assert '<td data-label="Content">PNG image</td>' in png_row
    assert '<td data-label="Content">PDF document</td>' in pdf_row


def test_a_renamed_executable_is_refused(alice_client, draft):
    response = upload(alice_client, draft, b"MZ\x90\x00" + b"\x00" * 200, name="invoice.pdf")
    assert "Its content is none of these" in file_errors(response)[0]
    assert not draft.documents.exists()


def test_an_oversize_file_is_refused(alice_client, draft, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    response = upload(alice_client, draft, tiny_pdf() + b"\n%" + b"x" * 2048)
    assert (
        file_errors(response) == ["The file must be smaller than 0 MB."]
        or "smaller than" in file_errors(response)[0]
    )
    assert not draft.documents.exists()


def test_an_encrypted_pdf_is_refused_with_the_reason(alice_client, draft):
    response = upload(alice_client, draft, encrypted_pdf())
    assert file_errors(response) == [  # refused once checked: the page names the file
        "invoice.pdf: The PDF is password-protected. Upload a copy without a password."
    ]


def test_a_broken_pdf_is_refused_and_the_draft_survives(alice_client, draft):
    response = upload(alice_client, draft, b"%PDF-1.7\nthis is not really a pdf")
    assert "damaged" in file_errors(response)[0]
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_new_invoice_replaces_the_old_one_and_documents_can_be_deleted(alice_client, draft):
    upload(alice_client, draft, tiny_pdf())
    upload(alice_client, draft, tiny_png(), name="invoice2.png")
    document = draft.documents.get()
    assert document.original_name == "invoice2.png"
    remove = reverse("applications:document-remove", args=[draft.reference, document.pk])
    assert "Document deleted." in alice_client.post(remove, follow=True).content.decode()
    assert not draft.documents.exists()
    again = alice_client.post(remove, follow=True).content.decode()
    assert "Document deleted." not in again  # nothing was: the page says so
    assert "nothing was deleted" in again


def test_the_owner_gets_the_file_inline_with_safe_headers(alice_client, draft):
    upload(alice_client, draft, tiny_pdf(), name="../../in voice;<x>.exe.pdf")
    document = draft.documents.get()
    response = alice_client.get(
        reverse("applications:document", args=[draft.reference, document.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Disposition"] == 'inline; filename="in_voicex.exe.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_verified_officer_of_the_agency_may_view_a_submitted_applications_document(
    alice_client, ready, olivia
):
    url = reverse("applications:document", args=[ready.reference, ready.documents.first().pk])
    assert verified_client(olivia).get(url).status_code == 404  # still a draft
    factories.PaymentFactory(application=ready)
    alice_client.post(reverse("applications:submit", args=[ready.reference]))
    ready.refresh_from_db()
    assert ready.status == "submitted"
    assert verified_client(olivia).get(url).status_code == 200
    assert signed_in(olivia).get(url).status_code == 404  # no second factor yet


def test_an_officer_gets_404_for_a_drafts_documents(alice_client, draft, olivia):
    upload(alice_client, draft, tiny_pdf())
    url = reverse("applications:document", args=[draft.reference, draft.documents.get().pk])
    assert verified_client(olivia).get(url).status_code == 404
    assert alice_client.get(url).status_code == 200  # the exporter's own, still


def test_an_officer_gets_404_for_a_draft_withdrawn_before_it_was_submitted(
    alice_client, draft, olivia
):
    upload(alice_client, draft, tiny_pdf())
    url = reverse("applications:document", args=[draft.reference, draft.documents.get().pk])
    alice_client.post(reverse("applications:withdraw", args=[draft.reference]))
    draft.refresh_from_db()
    assert draft.status == "withdrawn"
    assert verified_client(olivia).get(url).status_code == 404
    review = reverse("officer:review", args=[draft.reference])
    assert verified_client(olivia).get(review).status_code == 404


def test_anyone_else_gets_404_for_the_document(alice_client, draft, oscar, bob_client):
    upload(alice_client, draft, tiny_pdf())
    url = reverse("applications:document", args=[draft.reference, draft.documents.get().pk])
    assert verified_client(oscar).get(url).status_code == 404
    assert bob_client.get(url).status_code == 404
