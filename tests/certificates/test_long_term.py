"""PAdES B-LT certification signatures: timestamp, embedded revocation data, DocMDP, and what
revoking an agency's key does to certificates signed before and after."""

from __future__ import annotations

import io
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from cryptography import x509
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.generic import DictionaryObject, NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper
from pyhanko.sign.validation import DocumentSecurityStore, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from certificates import keys, pki
from certificates.signing import SigningRefusedError
from certificates.validation import check_signed_pdf
from tests.certificates import samples
from tests.certificates.conftest import issue

pytestmark = pytest.mark.usefixtures("eic_key")


def embedded_only_validation(signed: bytes):
    """pyHanko's verdict from what the file embeds alone: the development root as the only
    trust anchor, the DSS's certificates and CRLs, no fetching, revocation data required."""
    reader = PdfFileReader(io.BytesIO(signed))
    dss = DocumentSecurityStore.read_dss(reader)
    roots = [
        keys.trust_roots()[0]
    ]  # the published development CA, nothing of the portal's CRL store

    def context() -> ValidationContext:
        return dss.as_validation_context(
            {"trust_roots": roots, "allow_fetching": False, "revocation_mode": "require"}
        )

    signature = reader.embedded_signatures[0]
    status = validate_pdf_signature(
        signature, signer_validation_context=context(), ts_validation_context=context()
    )
    return signature, dss, status


def test_a_new_certificate_is_b_lt_and_validates_from_what_it_embeds() -> None:
    signed = issue(samples.certificate())

    signature, dss, status = embedded_only_validation(signed)

    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.bottom_line
    # B-T: an RFC 3161 signature timestamp, valid and from a trusted TSA
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact
    assert status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
    # B-LT: the DSS holds the chains and CRLs of their CA (revocation was required above):
    # the one of the signed revision and the one issued after the timestamp (B-LTA)
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert len(dss.crls) == 2
    dss_subjects = {c.subject.human_friendly for c in dss.load_certs()}
    assert any("Time-Stamping Authority" in s for s in dss_subjects)
    assert any("Export Inspection Council (development)" in s for s in dss_subjects)


def test_the_dss_is_inside_the_signed_revision() -> None:
    """So that pdfsig calls the signed revision "Total document signed"; what follows it is
    only the B-LTA update (a DSS and a document timestamp)."""
    signed = issue(samples.certificate())
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    signed_revision = signed[: signature.byte_range[-2] + signature.byte_range[-1]]

    status = embedded_only_validation(signed)[2]
    first = embedded_only_validation(signed_revision)[2]

    assert first.coverage.name == "ENTIRE_FILE"
    assert status.coverage.name == "ENTIRE_REVISION"
    assert status.modification_level == ModificationLevel.LTA_UPDATES


def test_without_the_embedded_crl_revocation_checking_cannot_pass() -> None:
    """The CRL is what makes it pass: the same check with revocation data stripped fails."""
    signed = issue(samples.certificate())
    reader = PdfFileReader(io.BytesIO(signed))
    context = ValidationContext(
        trust_roots=keys.trust_roots(),
        other_certs=list(DocumentSecurityStore.read_dss(reader).load_certs()),
        crls=[],
        allow_fetching=False,
        revocation_mode="require",
    )

    status = validate_pdf_signature(
        reader.embedded_signatures[0], signer_validation_context=context
    )

    assert not status.trusted


def test_it_is_a_certification_signature_that_permits_no_change() -> None:
    signed = issue(samples.certificate())

    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]

    assert signature.docmdp_level == MDPPerm.NO_CHANGES
    assert PdfFileReader(io.BytesIO(signed)).root["/Perms"]["/DocMDP"] is not None


# ---------------------------------------------------------------------------------------------
# Changes after signing
# ---------------------------------------------------------------------------------------------


def _append(signed: bytes, change) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    change(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _annotation(writer: IncrementalPdfFileWriter) -> None:
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    note = writer.add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Text"),
                NameObject("/Rect"): writer.root["/Pages"]["/Kids"][0].get_object()["/MediaBox"],
                NameObject("/Contents"): TextStringObject("Origin: somewhere else"),
            }
        )
    )
    annots = page.get("/Annots")
    if annots is None:
        from pyhanko.pdf_utils.generic import ArrayObject

        page[NameObject("/Annots")] = ArrayObject([note])
    else:
        annots.get_object().append(note)
    writer.update_container(page)


def _overlay(writer: IncrementalPdfFileWriter) -> None:
    writer.add_stream_to_page(0, writer.add_object(_overlay_stream()))


def _overlay_stream():
    from pyhanko.pdf_utils.generic import StreamObject

    return StreamObject(stream_data=b"q 1 1 1 rg 50 700 300 40 re f Q")


def _metadata(writer: IncrementalPdfFileWriter) -> None:
    writer.root[NameObject("/Lang")] = TextStringObject("en-IN")
    writer.update_root()


@pytest.mark.parametrize("change", [_annotation, _overlay, _metadata], ids=lambda c: c.__name__)
def test_an_update_appended_after_signing_is_a_docmdp_modification_and_refused(change) -> None:
    edited = _append(issue(samples.certificate()), change)

    reader = PdfFileReader(io.BytesIO(edited))
    context = ValidationContext(trust_roots=keys.trust_roots(), allow_fetching=False)
    status = validate_pdf_signature(reader.embedded_signatures[0], context)
    check = check_signed_pdf(edited)

    assert status.intact  # the signed bytes themselves are untouched...
    assert not status.docmdp_ok  # ...but the change breaks the "no changes" rule
    assert status.modification_level > ModificationLevel.LTA_UPDATES
    assert not status.bottom_line
    assert check.reason == "signature_invalid"
    assert not check.ok


def test_a_later_document_timestamp_b_lta_is_allowed() -> None:
    signed = issue(samples.certificate())
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    out = PdfTimeStamper(keys.get_timestamper()).timestamp_pdf(
        writer, md_algorithm="sha256", in_place=False
    )

    check = check_signed_pdf(out.getvalue())

    assert check.ok, check


# ---------------------------------------------------------------------------------------------
# Revocation of an agency's key
# ---------------------------------------------------------------------------------------------


def _sign_bypassing_the_portal(pdf: bytes) -> bytes:
    """What a thief of the revoked key could do: sign and timestamp, with no pre-sign check."""
    metadata = PdfSignatureMetadata(
        field_name="Stolen",
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    signer = keys.load_signer_from_pkcs12(pki.keys_dir() / "EIC.p12", pki.dev_password())
    out = PdfSigner(
        metadata,
        signer,
        timestamper=keys.get_timestamper(),
        new_field_spec=SigFieldSpec(sig_field_name="Stolen"),
    ).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)))
    return out.getvalue()


@pytest.fixture
def a_minute_later():
    """The clock a minute on (a CRL states revocation times to the second)."""
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=True) as traveller:
        yield traveller


def test_revoking_a_key_lists_it_on_the_crl_and_only_later_signatures_fail(client, request) -> None:
    from certificates.pdf import render_certificate

    before = issue(samples.certificate())
    serial = keys.signing_certificate("EIC").serial_number
    request.getfixturevalue("a_minute_later")

    out = StringIO()
    call_command("revoke_signing_key", "EIC", stdout=out)
    response = client.get(reverse("pki-crl", kwargs={"agency": "EIC"}))
    crl = x509.load_der_x509_crl(response.content)
    entry = crl.get_revoked_certificate_by_serial_number(serial)

    assert "Revoked EIC's signing certificate" in out.getvalue()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-crl"
    assert "public" in response["Cache-Control"]
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
        x509.ReasonFlags.key_compromise
    )
    # signed before the revocation: still valid, its timestamp predates it
    assert check_signed_pdf(before).ok
    # the portal refuses to sign with the revoked key...
    with pytest.raises(SigningRefusedError, match="does not validate now"):
        issue(samples.certificate())
    # ...and a signature made with it afterwards does not validate
    after = _sign_bypassing_the_portal(render_certificate(samples.certificate()))
    assert check_signed_pdf(after).reason == "unknown_key"


def test_revoking_twice_says_so() -> None:
    call_command("revoke_signing_key", "EIC", stdout=StringIO())
    out = StringIO()

    call_command("revoke_signing_key", "EIC", stdout=out)

    assert "was already revoked" in out.getvalue()


def test_no_crl_is_published_for_an_agency_without_one_in_production(client, settings) -> None:
    settings.DEBUG = settings.TESTING = False
    keys.clear_caches()

    response = client.get(reverse("pki-crl", kwargs={"agency": "EIC"}))

    assert response.status_code == 404


def test_an_unreadable_production_crl_is_a_503_not_a_stale_answer(client, settings, tmp_path):
    settings.SIGNING_CRL = {"EIC": str(tmp_path / "missing.crl")}

    response = client.get(reverse("pki-crl", kwargs={"agency": "EIC"}))

    assert response.status_code == 503
