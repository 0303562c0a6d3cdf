"""The upload check's structural layer lets a certificate carry its own Verifiable Credential
(an embedded application/vc+jwt file holding a compact JWS) and nothing else embedded."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from certificates.credential import credential_attach
from core import pdf_safety

JWS = "eyJhbGciOiJFUzI1NiJ9.eyJpZCI6InVybjp1dWlkOjEifQ.c2lnbmF0dXJl"


def blank_pdf() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "Certificate of Origin")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def attach(pdf: bytes, data: bytes, mime_type: str) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    embedded = EmbeddedFileObject.from_file_data(
        writer, data, params=EmbeddedFileParams(embed_size=True), mime_type=mime_type
    )
    embed_file(
        writer,
        FileSpec(
            file_spec_string="credential.jwt",
            file_name="credential.jwt",
            embedded_data=embedded,
            af_relationship=NameObject("/Alternative"),
        ),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def check(data: bytes, limits: pdf_safety.Limits) -> None:
    pdf_safety.prescan(data, limits)
    pdf_safety.inspect(PdfReader(io.BytesIO(data), strict=False), limits)


def test_a_certificate_with_its_credential_attached_passes():
    check(credential_attach(blank_pdf(), JWS), pdf_safety.CERTIFICATE_LIMITS)


def test_the_same_attachment_is_refused_in_a_supporting_document():
    with pytest.raises(pdf_safety.PdfRefused, match="unsafe: an embedded file"):
        check(credential_attach(blank_pdf(), JWS), pdf_safety.DOCUMENT_LIMITS)


@pytest.mark.parametrize(
    ("data", "mime_type", "reason"),
    [
        (b"MZ\x90\x00 a program", "application/octet-stream", "an embedded file"),
        (b"<script>alert(1)</script>", "text/html", "an embedded file"),
        (b"MZ\x90\x00 a program", "application/vc+jwt", "not what its type says"),
        (JWS.encode() + b"\n" + JWS.encode(), "application/vc+jwt", "not what its type says"),
    ],
    ids=["program", "html", "program-named-vc-jwt", "two-tokens"],
)
def test_any_other_embedded_file_in_a_certificate_is_refused(data, mime_type, reason):
    with pytest.raises(pdf_safety.PdfRefused, match=reason):
        check(attach(blank_pdf(), data, mime_type), pdf_safety.CERTIFICATE_LIMITS)


def _with_filespec_change(pdf: bytes, change) -> bytes:
    """The PDF rewritten with `change(writer, filespec)` applied to its one file spec."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    names = writer.root_object["/Names"].get_object()["/EmbeddedFiles"].get_object()["/Names"]
    change(writer, names[1].get_object())
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_file_riding_along_as_a_related_file_is_refused():
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        TextStringObject,
    )

    def add_related(writer, filespec):
        program = DecodedStreamObject()
        program.set_data(b"MZ\x90\x00 a program")
        program[NameObject("/Type")] = NameObject("/EmbeddedFile")
        related = ArrayObject([TextStringObject("evil.exe"), writer._add_object(program)])
        filespec[NameObject("/RF")] = DictionaryObject({NameObject("/F"): related})

    pdf = _with_filespec_change(credential_attach(blank_pdf(), JWS), add_related)
    with pytest.raises(pdf_safety.PdfRefused, match="unsafe"):
        check(pdf, pdf_safety.CERTIFICATE_LIMITS)


def test_an_attached_credential_whose_data_is_another_file_is_refused():
    from pypdf.generic import NameObject, TextStringObject

    def point_outside(writer, filespec):
        stream = filespec["/EF"]["/F"].get_object()
        stream[NameObject("/F")] = TextStringObject("\\\\server\\share\\evil.jwt")

    pdf = _with_filespec_change(credential_attach(blank_pdf(), JWS), point_outside)
    with pytest.raises(pdf_safety.PdfRefused, match="another file"):
        check(pdf, pdf_safety.CERTIFICATE_LIMITS)
