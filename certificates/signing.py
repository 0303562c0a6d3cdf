"""PAdES signatures on certificate PDFs, visible in box 12 of the last page."""

from __future__ import annotations

import functools
import io
import unicodedata
from datetime import datetime

from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, SimpleSigner
from pyhanko.stamp import TextStampStyle

from .keys import get_signer
from .pdf import IST, SIGNATURE_RECT, STAMP_CHARACTERS, stamp_font_file

FIELD_NAME = "CertificationSignature"
# Margin added to the measured size of the signature container. PAdES containers hold the
# certificates, a few signed attributes and the signature value; 4 KiB covers them all.
CONTAINER_MARGIN = 4096


@functools.cache
def _stamp_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text=(
            "Digitally signed by %(officer)s\n%(designation)s\n%(agency)s\nDate: %(signed_at)s"
        ),
        border_width=1,
        # Noto Sans, embedded (a subset), instead of an unembedded standard font.
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(stamp_font_file())),
    )


def _stamp_text(text: str, limit: int = 60) -> str:
    """Text the stamp's font (Noto Sans: Latin with diacritics, Greek, Cyrillic) can show.

    pyHanko's text stamp has one font (the officer's name is printed in full, in any script,
    in box 12 itself); anything else is spelt without accents or replaced by "?". Long values
    are cut so that the stamp stays legible.
    """
    chars = []
    for char in unicodedata.normalize("NFC", " ".join(text.split())):
        if char.isprintable() and ord(char) in STAMP_CHARACTERS:
            chars.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode()
        chars.append(base or "?")
    result = "".join(chars)
    return result if len(result) <= limit else result[: limit - 3] + "..."


def _stamp_name(name: str) -> str:
    """The officer's name if the stamp's font can print it; else a pointer to box 12, which
    prints it in full in its own script, rather than a row of question marks."""
    cleaned = unicodedata.normalize("NFC", " ".join(name.split()))
    if cleaned and all(ord(char) in STAMP_CHARACTERS for char in cleaned):
        return _stamp_text(cleaned)
    return "the certifying officer named in box 12"


def _bytes_reserved(signer: SimpleSigner) -> int:
    """Room for the signature container, so that pyHanko signs once instead of twice.

    Without it pyHanko estimates the size by producing a throwaway signature first.
    The container is written as hex: two characters per byte.
    """
    certs = [signer.signing_cert, *signer.cert_registry]
    return 2 * (sum(len(cert.dump()) for cert in certs) + CONTAINER_MARGIN)


def sign_certificate_pdf(
    pdf_bytes: bytes,
    *,
    agency_code: str,
    officer_name: str,
    designation: str,
    agency_name: str,
    signed_at: datetime,
    on_page: int = -1,
) -> bytes:
    """Sign a rendered certificate as the agency, with a visible stamp in box 12.

    The signature is PAdES (ETSI.CAdES.detached) with the signer's certificate chain
    embedded, and covers the whole file. No timestamp authority is used.
    """
    if signed_at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware.")
    signer = get_signer(agency_code)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    metadata = PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=officer_name,
        reason=f"Certificate of Origin issued by {agency_name}",
        location="India",
    )
    field = SigFieldSpec(
        sig_field_name=FIELD_NAME,
        on_page=on_page,  # negative: counted from the end (pdf.certification_page)
        box=SIGNATURE_RECT,
        readable_field_name="Certification by the issuing agency",
    )
    pdf_signer = PdfSigner(metadata, signer, stamp_style=_stamp_style(), new_field_spec=field)
    output = pdf_signer.sign_pdf(
        writer,
        bytes_reserved=_bytes_reserved(signer),
        appearance_text_params={
            "officer": _stamp_name(officer_name),
            "designation": _stamp_text(designation),
            "agency": _stamp_text(agency_name),
            # India's time, as box 12 prints the Indian date.
            "signed_at": signed_at.astimezone(IST).strftime("%d %b %Y %H:%M:%S IST (+05:30)"),
        },
    )
    return output.getvalue()
