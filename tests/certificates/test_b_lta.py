"""PAdES B-LTA at issuance, validated as a verifier years later would: offline, from what the
file embeds, at the proof of existence its timestamps give; and pdfsig at every revision."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from asn1crypto.crl import CertificateList
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.fields import SigFieldSpec
from pyhanko.sign.validation import DocumentSecurityStore

from certificates import keys
from certificates.validation import (
    ades_validate,
    check_signed_pdf,
    signature_timestamp,
    validation_spec,
)
from tests.certificates import samples
from tests.certificates.conftest import issue, needs, pdfsig, run

pytestmark = pytest.mark.usefixtures("eic_key")


def offline_ades(signed: bytes):
    """pyHanko's AdES long-term validation from what the file embeds alone: the published
    development root as the only trust anchor, no fetching, revocation data required; the
    newest document timestamp's TSA taken as not revoked now (nothing in a file can speak
    for a time after it was last timestamped)."""
    reader = PdfFileReader(io.BytesIO(signed))
    newest_tsa = reader.embedded_timestamp_signatures[-1].signer_cert
    spec = validation_spec(roots=[keys.trust_roots()[0]], trusted_now=[newest_tsa])
    return ades_validate(reader.embedded_regular_signatures[0], spec)


def revisions(signed: bytes) -> list[bytes]:
    """The file as it stood after each of its revisions."""
    ends = []
    at = signed.find(b"%%EOF")
    while at != -1:
        end = at + len(b"%%EOF")
        while end < len(signed) and signed[end : end + 1] in b"\r\n":
            end += 1
        ends.append(end)
        at = signed.find(b"%%EOF", end)
    return [signed[:end] for end in ends]


def pades_level(signed: bytes) -> str:
    """B-LTA: a signature with a timestamp (B-T), a DSS with revocation data (B-LT), and a
    document timestamp over them as the last revision."""
    reader = PdfFileReader(io.BytesIO(signed))
    timestamps = reader.embedded_timestamp_signatures
    if not timestamps or "/DSS" not in reader.root:
        return "B-LT or lower"
    timestamps[-1].compute_integrity_info(skip_diff=True)
    return "B-LTA" if timestamps[-1].coverage.name == "ENTIRE_FILE" else "broken"


@pytest.mark.parametrize("days", [0, 8, 400])
def test_a_new_certificate_validates_offline_as_b_lta_days_later(days) -> None:
    signed = issue(samples.certificate())

    with time_machine.travel(timezone.now() + timedelta(days=days), tick=True):
        outcome = offline_ades(signed)

    assert outcome.ades_subindic == AdESPassed.OK, outcome.failure_msg
    assert outcome.api_status.summary().startswith("INTACT:TRUSTED")
    assert outcome.oldest_evidence_record_timestamp is not None
    assert pades_level(signed) == "B-LTA"


@pytest.mark.parametrize("days", [0, 8, 400])
def test_the_portal_takes_a_new_certificate_as_authentic_days_later(days) -> None:
    signed = issue(samples.certificate())

    with time_machine.travel(timezone.now() + timedelta(days=days), tick=True):
        check = check_signed_pdf(signed)

    assert check.ok, check


def test_the_revocation_data_was_issued_after_the_signature_timestamp() -> None:
    signed = issue(samples.certificate())
    reader = PdfFileReader(io.BytesIO(signed))

    signed_at = signature_timestamp(reader.embedded_regular_signatures[0])
    crls = DocumentSecurityStore.read_dss(reader).crls
    newest = max(
        CertificateList.load(ref.get_object().data)["tbs_cert_list"]["this_update"].native
        for ref in crls
    )

    assert newest >= signed_at.replace(microsecond=0)


def pdfsig_on(day: datetime, nss_db: str, path: Path) -> str:
    """pdfsig with its clock at `day` (time_machine moves this process only: faketime, from
    Debian's faketime package, moves pdfsig's)."""
    if day.date() == timezone.now().date():
        return pdfsig(nss_db, path)
    needs("faketime")
    moment = day.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return run("faketime", "-f", f"@{moment}", "pdfsig", "-nssdir", nss_db, str(path))


@pytest.mark.parametrize("days", [0, 8, 400])
def test_pdfsig_calls_every_revision_valid_trusted_and_total(nss_db, tmp_path: Path, days) -> None:
    signed = issue(samples.certificate())
    prefixes = revisions(signed)
    assert len(prefixes) >= 3  # the form, the signature, the DSS with its document timestamp

    for number, prefix in enumerate(prefixes[1:], start=1):
        path = tmp_path / f"revision-{number}.pdf"
        path.write_bytes(prefix)
        report = pdfsig_on(timezone.now() + timedelta(days=days), nss_db, path)
        assert "Signature is Valid" in report, report
        assert "Certificate is Trusted" in report, report
        # the newest signature in each revision covers the whole of it
        assert report.rstrip().split("Signature #")[-1].count("Total document signed") == 1, report


def test_issuance_knows_what_the_archive_revision_needs_without_reading_the_file_back() -> None:
    """The B-LTA revision made at issuance takes the signature's timestamp and certificates
    from the timestamper that made them (signing._just_signed), not from parsing the signed
    file: both must agree, and the shortcut must have been taken."""
    from certificates import signing

    signed = signing.sign_pdf(
        samples_pdf(),
        agency_code="EIC",
        field=SigFieldSpec(sig_field_name="Signature", on_page=0, box=(0, 0, 10, 10)),
        signer_name="O. Officer",
        reason="test",
    )
    known = signing._just_signed("EIC")
    reader = PdfFileReader(io.BytesIO(signed))
    read_back = signing.newest_timestamp(reader)

    assert known, "sign_pdf noted no timestamp token"
    assert read_back is not None
    assert known["newest"] == read_back[0]
    assert {cert.sha256 for cert in known["certs"]} == {
        cert.sha256 for cert in signing._token_certificates(reader)
    }
    assert signing._just_signed("EIC") == {}, "a noted token is taken once"


def samples_pdf() -> bytes:
    from certificates.pdf import render_certificate

    return render_certificate(samples.certificate())
