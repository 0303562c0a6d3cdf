"""Signing certificates and checking signed PDFs, with pyHanko and poppler's pdfsig agreeing."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import datetime
from pathlib import Path

import pytest
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from certificates import keys
from certificates.pdf import SIGNATURE_RECT, render_certificate
from certificates.signing import sign_certificate_pdf
from certificates.validation import check_signed_pdf
from tests.certificates import samples
from tests.certificates.conftest import issue, pdfsig, sign

pytestmark = pytest.mark.usefixtures("eic_key")


def test_pdfsig_and_pyhanko_both_call_a_fresh_certificate_valid(
    tmp_path: Path, nss_db: str
) -> None:
    signed = issue(samples.certificate())
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)

    report = pdfsig(nss_db, path)
    check = check_signed_pdf(signed)

    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report
    assert check.ok
    assert check.reason == "ok"
    assert "Export Inspection Council (development)" in check.signer_subject


def test_the_signature_sits_in_box_12_of_the_last_page_with_the_chain_embedded() -> None:
    signed = issue(samples.certificate(item_count=60))

    pages = PdfReader(io.BytesIO(signed)).pages
    widgets = [a.get_object() for a in pages[-1].get("/Annots", [])]
    assert [w["/FT"] for w in widgets] == ["/Sig"]
    assert [round(float(v)) for v in widgets[0]["/Rect"]] == list(SIGNATURE_RECT)
    # elsewhere only the document timestamp's (B-LTA) invisible widget, of no size
    others = [a.get_object() for page in pages[:-1] for a in page.get("/Annots", [])]
    assert [w["/TU"] for w in others] == ["Timestamp"]
    assert all(float(v) == 0 for w in others for v in w["/Rect"])
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    assert len(signature.signed_data["certificates"]) == 2  # the agency's and the CA's


def test_signing_produces_one_signature_not_a_trial_run_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signer = keys.get_signer("EIC")
    calls: list[str] = []
    original = signer.sign_raw

    def counting_sign_raw(data: bytes, digest_algorithm: str) -> bytes:
        calls.append(digest_algorithm)
        return original(data, digest_algorithm)

    monkeypatch.setattr(signer, "sign_raw", counting_sign_raw)

    issue(samples.certificate())

    assert calls == ["sha256"]


def test_one_changed_byte_breaks_the_signature_for_both_checkers(
    tmp_path: Path, nss_db: str
) -> None:
    signed = bytearray(issue(samples.certificate()))
    stream = signed.index(b"stream", 1000)
    signed[stream + 60] ^= 0x01  # inside a compressed page content stream
    path = tmp_path / "tampered.pdf"
    path.write_bytes(signed)

    report = pdfsig(nss_db, path)
    check = check_signed_pdf(bytes(signed))

    assert "Signature is Valid" not in report
    assert not check.ok
    assert check.reason == "signature_invalid"


def test_an_edit_appended_after_signing_is_invalid(tmp_path: Path, nss_db: str) -> None:
    signed = issue(samples.certificate())
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    writer.root[NameObject("/Lang")] = TextStringObject("en-IN")
    writer.update_root()
    edited = io.BytesIO()
    writer.write(edited)
    path = tmp_path / "edited.pdf"
    path.write_bytes(edited.getvalue())

    check = check_signed_pdf(edited.getvalue())

    assert check.reason == "signature_invalid"
    # pdfsig only notes it (see DESIGN): our own checks must not rely on pdfsig.
    assert "Not total document signed" in pdfsig(nss_db, path)


def test_a_signature_from_another_ca_is_an_unknown_key(settings, tmp_path: Path) -> None:
    own_keys = settings.SIGNING_KEYS_DIR
    settings.SIGNING_KEYS_DIR = tmp_path / "forger"
    keys.clear_caches()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    forged = issue(samples.certificate())
    settings.SIGNING_KEYS_DIR = own_keys
    keys.clear_caches()

    check = check_signed_pdf(forged)

    assert check.reason == "unknown_key"
    assert not check.ok
    assert "Export Inspection Council" in check.signer_subject


def test_an_unsigned_certificate_has_no_signature() -> None:
    check = check_signed_pdf(render_certificate(samples.certificate()))

    assert check.reason == "no_signature"
    assert not check.ok


def _garbage() -> dict[str, bytes]:
    signed = issue(samples.certificate())
    return {
        "empty": b"",
        "text": b"hello, I am a certificate",
        "random": os.urandom(4096),
        "pdf header then noise": b"%PDF-1.7\n" + os.urandom(4096),
        "first half": signed[: len(signed) // 2],
        "last bytes cut": signed[:-200],
        "zip": b"PK\x03\x04" + os.urandom(100),
    }


@pytest.mark.parametrize(
    "name",
    ["empty", "text", "random", "pdf header then noise", "first half", "last bytes cut", "zip"],
)
def test_garbage_is_refused_without_an_exception(name: str) -> None:
    data = _garbage()[name]

    check = check_signed_pdf(data)

    assert not check.ok
    assert check.reason in {"not_pdf", "no_signature", "signature_invalid"}
    assert len(check.sha256) == 64


def test_the_check_reports_the_sha256_of_what_it_was_given() -> None:
    signed = issue(samples.certificate())

    assert check_signed_pdf(signed).sha256 == hashlib.sha256(signed).hexdigest()


def test_an_rsa_agency_key_signs_valid_certificates_too() -> None:
    keys.ensure_agency_key("FIEO", "Federation of Indian Export Organisations", rsa_key=True)

    signed = sign(render_certificate(samples.certificate()), agency_code="FIEO")

    assert check_signed_pdf(signed).reason == "ok"


def test_a_naive_signing_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_certificate_pdf(
            render_certificate(samples.certificate()),
            agency_code="EIC",
            officer_name="Olivia Rao",
            designation="Assistant Director",
            agency_name="Export Inspection Council",
            signed_at=datetime(2026, 3, 5, 11, 30),  # noqa: DTZ001
        )


def test_an_officer_name_outside_latin_1_still_signs() -> None:
    signed = sign_certificate_pdf(
        render_certificate(samples.certificate()),
        agency_code="EIC",
        officer_name="Łukasz Ñúñez \u202e अधिकारी",
        designation="Assistant Director",
        agency_name="Export Inspection Council",
        signed_at=datetime.fromisoformat("2026-03-05T11:30:00+05:30"),
    )

    assert check_signed_pdf(signed).ok
