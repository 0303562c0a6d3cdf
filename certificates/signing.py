"""PAdES signatures on certificate PDFs, visible in box 12 of the last page.

Each signature is a certification signature (DocMDP P=1: no change permitted, so PDF readers
report anything added later) at PAdES baseline B-LT: the CMS container holds an RFC 3161
timestamp (keys.get_timestamper), and the Document Security Store written in the signed
revision itself holds the certificates and current CRLs of the signer's and the TSA's chains,
so that the signature validates from the file alone, with revocation checking required. The
DSS is written before signing (not in a revision appended after it), so that pdfsig reports
"Total document signed" for that revision.

A certificate then becomes B-LTA before anyone has it (add_archive_timestamp): one more
incremental update with CRLs issued after the signature's timestamp and a document timestamp,
which DocMDP P=1 allows. certificates/archive.py adds the same later, before the newest
timestamp's TSA certificate expires (docs/long-term-validation.md).
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import threading
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, PdfTimeStamper, SimpleSigner
from pyhanko.sign.signers.pdf_signer import (
    DSSContentSettings,
    PdfSigningSession,
    PreSignValidationStatus,
    SigDSSPlacementPreference,
)
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.stamp import BaseStampStyle, TextStampStyle
from pyhanko_certvalidator import ValidationContext

from . import pki
from .keys import SigningKeyError, get_signer, get_timestamper, trust_roots
from .pdf import IST, SIGNATURE_RECT, STAMP_CHARACTERS
from .stamp_font import PreparedFontFactory, characters_for

logger = logging.getLogger(__name__)

FIELD_NAME = "CertificationSignature"
# Margin added to the measured size of the signature container. PAdES containers hold the
# certificates, a few signed attributes and the signature value; 4 KiB covers them all.
CONTAINER_MARGIN = 4096
# A timestamp token holds the TSA's certificate chain and its own signature; 12 KiB covers an
# RSA-4096 chain of three.
TIMESTAMP_MARGIN = 12288
DSS_SETTINGS = DSSContentSettings(
    placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
)


def _not_the_expected_no_fetching_warning(record: logging.LogRecord) -> bool:
    # pyHanko warns on every signature that embeds validation data without fetching it; here
    # that is the design (the CRLs come from files), so the warning would only bury others.
    return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(
    _not_the_expected_no_fetching_warning
)


class SigningRefusedError(Exception):
    """This agency cannot sign now: no usable key, or its certificate is revoked or untrusted.

    Retrying does not help until an operator acts; the message says what is wrong.
    """


class NotYetError(SigningRefusedError):
    """No archive timestamp yet: no CRL issued after the newest timestamp is at hand (a
    production CA publishes on its own schedule), or no time-stamping authority. The archive
    task tries again at its next run."""


STAMP_TEXT = "Digitally signed by %(officer)s\n%(designation)s\n%(agency)s\nDate: %(signed_at)s"


@functools.cache
def stamp_style(characters: frozenset[int] = STAMP_CHARACTERS) -> BaseStampStyle:
    """The look of the signature box (its text uses the parameters of stamp_parameters),
    in Noto Sans cut to `characters` (stamp_font.characters_for), embedded. Built once per
    process and character set."""
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        border_width=1,
        # Noto Sans, embedded (a subset), instead of an unembedded standard font.
        text_box_style=TextBoxStyle(
            font=PreparedFontFactory(font_file="Noto Sans (prepared)", characters=characters)
        ),
    )


def stamp_parameters(
    *, officer_name: str, designation: str, agency_name: str, signed_at: datetime
) -> dict[str, str]:
    return {
        "officer": _stamp_name(officer_name),
        "designation": _stamp_text(designation),
        "agency": _stamp_text(agency_name),
        # India's time, as box 12 prints the Indian date.
        "signed_at": signed_at.astimezone(IST).strftime("%d %b %Y %H:%M:%S IST (+05:30)"),
    }


def _stamp_name(name: str) -> str:
    """The officer's name if the stamp's font can print it; else a pointer to box 12, which
    prints it in full in its own script, rather than a row of question marks."""
    cleaned = unicodedata.normalize("NFC", " ".join(name.split()))
    if cleaned and all(char.isprintable() and ord(char) in STAMP_CHARACTERS for char in cleaned):
        return _stamp_text(cleaned)
    return "the certifying officer named in box 12"


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


def _bytes_reserved(signer: SimpleSigner, timestamper: TimeStamper | None) -> int:
    """Room for the signature container, so that pyHanko signs once instead of twice.

    Without it pyHanko estimates the size by producing a throwaway signature first.
    The container is written as hex: two characters per byte.
    """
    certs = [signer.signing_cert, *signer.cert_registry]
    size = sum(len(cert.dump()) for cert in certs) + CONTAINER_MARGIN
    return 2 * (size + (TIMESTAMP_MARGIN if timestamper is not None else 0))


# How long one ValidationContext (with the signer's and the TSA's validated paths and CRL
# checks it keeps) is reused at most: a changed CRL or trust root makes a new one at once.
CONTEXT_REUSE = timedelta(seconds=60)
_contexts = threading.local()


def _new_validation_context(
    roots: list[Any], crls: list[asn1_crl.CertificateList]
) -> ValidationContext:
    return ValidationContext(
        trust_roots=roots, crls=crls, allow_fetching=False, revocation_mode="require"
    )


def signing_validation_context() -> ValidationContext:
    """What the signer's and TSA's chains are checked against before signing, and what the
    DSS receives: our trust roots and current CRLs, nothing fetched, revocation required.

    Reused (per thread) while the trust roots and every CRL are byte for byte the ones it
    was made with, for at most CONTEXT_REUSE and never past a CRL's next update: pyHanko
    then finds the chains it validated already instead of validating them again at every
    signature. A revocation re-issues the CRL, so the next signature is checked afresh.
    """
    roots = trust_roots()
    crl_ders = pki.all_crl_ders()
    key = (tuple(root.dump() for root in roots), tuple(_revocations(der) for der in crl_ders))
    now = datetime.now(UTC)
    cached = getattr(_contexts, "entry", None)
    if cached is not None and cached[0] == key and now < cached[1]:
        context: ValidationContext = cached[2]
        return context
    crls = [asn1_crl.CertificateList.load(der) for der in crl_ders]
    context = _new_validation_context(roots, crls)
    next_updates = [
        crl["tbs_cert_list"]["next_update"].native
        for crl in crls
        if crl["tbs_cert_list"]["next_update"].native is not None
    ]
    _contexts.entry = (key, min([now + CONTEXT_REUSE, *next_updates]), context, {})
    return context


def _revocations(crl_der: bytes) -> bytes:
    """What a CRL says (its issuer and revoked entries), without when it was issued: B-LTA
    re-issues the development CRL after every signature's timestamp (pki.crl_ders_issued_after),
    which must not throw away the pre-signing checks of a context whose CRLs say the same."""
    tbs = asn1_crl.CertificateList.load(crl_der)["tbs_cert_list"]
    return hashlib.sha256(tbs["issuer"].dump() + tbs["revoked_certificates"].dump()).digest()


def _presign_results(context: ValidationContext) -> dict[Any, Any]:
    """The pre-signing checks done with `context` in this thread (see _ReusingPdfSigner):
    kept with the context, so they go when it goes (a changed CRL, CONTEXT_REUSE)."""
    cached = getattr(_contexts, "entry", None)
    return cached[3] if cached is not None and cached[2] is context else {}


class _NotingTimeStamper(TimeStamper):
    """The configured timestamper, noting per thread the last token it returned.

    Issuance adds its B-LTA revision right after the signature, and needs that signature's
    timestamp (the CRLs must be issued after it) and the token's certificates (for the DSS).
    Reading them back from the signed file costs as much as the signature itself: pyHanko
    parses a signature's /Contents a pair of hex digits at a time (about 50 ms for one
    certificate). One instance per configured timestamper, so that _ReusingPdfSigner's kept
    pre-signing checks, which compare timestampers by identity, still apply.
    """

    def __init__(self, inner: TimeStamper) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # pyHanko leaves it untyped
        self.inner = inner
        self._noted = threading.local()

    async def async_timestamp(self, message_digest, md_algorithm) -> cms.ContentInfo:  # type: ignore[no-untyped-def]  # pyHanko's override, untyped there
        token: cms.ContentInfo = await self.inner.async_timestamp(message_digest, md_algorithm)
        self._noted.token = token
        return token

    async def async_dummy_response(self, md_algorithm) -> cms.ContentInfo:  # type: ignore[no-untyped-def]  # pyHanko's override, untyped there
        token: cms.ContentInfo = await self.inner.async_dummy_response(md_algorithm)
        return token

    async def validation_paths(self, validation_context):  # type: ignore[no-untyped-def]  # pyHanko's override, untyped there
        async for path in self.inner.validation_paths(validation_context):  # type: ignore[no-untyped-call]  # as above
            yield path

    def take_noted(self) -> cms.ContentInfo | None:
        """The token this thread was given last, forgotten once taken."""
        token: cms.ContentInfo | None = getattr(self._noted, "token", None)
        self._noted.token = None
        return token


@functools.lru_cache(maxsize=4)
def _noting(inner: TimeStamper) -> _NotingTimeStamper:
    return _NotingTimeStamper(inner)


class _ReusingPdfSigner(PdfSigner):
    """A PdfSigner whose pre-signing checks are done once per validation context, signing
    certificate and timestamper instead of at every signature.

    Those checks (pyHanko's perform_presign_validation) validate the signer's chain for
    non-repudiation, with revocation required, and the TSA's chain, and return the paths and
    CRLs the DSS receives: for one context (the same trust roots and CRLs, at most
    CONTEXT_REUSE old) they give the same answer every time. A failed check is not kept: a
    revoked or untrusted key is refused at every attempt.
    """

    def init_signing_session(  # type: ignore[no-untyped-def]  # pyHanko's override, which pyHanko leaves untyped
        self, pdf_out, existing_fields_only=False
    ) -> PdfSigningSession:
        session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
        context = self.signature_meta.validation_context
        cert = self.signer.signing_cert
        if context is None or cert is None:
            return session
        results = _presign_results(context)
        key = (cert.dump(), tuple(sorted(self.signature_meta.signer_key_usage)))
        timestamper = self.default_timestamper
        validate = session.perform_presign_validation

        async def perform_presign_validation(
            pdf_out: object = None,
        ) -> PreSignValidationStatus | None:
            kept = results.get(key)
            if kept is not None and kept[0] is timestamper:
                known: PreSignValidationStatus | None = kept[1]
                return known
            status = await validate(pdf_out)  # type: ignore[arg-type]  # pyHanko passes its own writer through
            results[key] = (timestamper, status)
            return status

        session.perform_presign_validation = perform_presign_validation  # type: ignore[method-assign]  # this session's checks, kept per context
        return session


def forget_validation_contexts() -> None:
    """Drop this thread's reused context (tests, and after changing keys in-process)."""
    _contexts.entry = None


def sign_pdf(
    pdf_bytes: bytes,
    *,
    agency_code: str,
    field: SigFieldSpec,
    signer_name: str,
    reason: str,
    style: BaseStampStyle | None = None,
    text_params: dict[str, str] | None = None,
) -> bytes:
    """Sign `pdf_bytes` as the agency: certification signature, timestamp, DSS (B-LT).

    The agency's signer and the timestamper are loaded once per process. Raises
    SigningRefusedError when the agency has no usable key or its certificate does not
    validate now (revoked, expired, untrusted, or a CRL is missing or stale).
    """
    try:
        signer = get_signer(agency_code)
        timestamper = get_timestamper()
        context = signing_validation_context()
    except (SigningKeyError, pki.PkiError) as exc:
        raise SigningRefusedError(str(exc)) from exc
    metadata = PdfSignatureMetadata(
        field_name=field.sig_field_name,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        name=signer_name,
        reason=reason,
        location="India",
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        embed_validation_info=True,
        validation_context=context,
        dss_settings=DSS_SETTINGS,
    )
    pdf_signer = _ReusingPdfSigner(
        metadata,
        signer,
        timestamper=_noting(timestamper) if timestamper is not None else None,
        stamp_style=style,
        new_field_spec=field,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    try:
        output = pdf_signer.sign_pdf(
            writer,
            bytes_reserved=_bytes_reserved(signer, timestamper),
            appearance_text_params=text_params,
        )
    except SigningError as exc:
        if "could not be validated" in str(exc):
            raise SigningRefusedError(
                f"The signing certificate of {agency_code} does not validate now (revoked, "
                f"expired, untrusted, or its CA's CRL is missing or out of date): {exc.__cause__}"
            ) from exc
        raise
    return bytes(output.getvalue())


def newest_timestamp(pdf: PdfFileReader) -> tuple[datetime, asn1_x509.Certificate] | None:
    """When the newest timestamp in the file was made, and the TSA certificate that made it:
    the last document timestamp's, else the latest signature timestamp's (not validated)."""
    found: list[tuple[datetime, asn1_x509.Certificate]] = []
    for timestamp in pdf.embedded_timestamp_signatures:
        found.append((_token_time(timestamp.signed_data), timestamp.signer_cert))
    if found:
        return found[-1]
    for signature in pdf.embedded_regular_signatures:
        for token in extract_tst_data_iter(signature.signer_info, signed=False):
            found.append((_token_time(token), _token_signer(token)))
    return max(found, key=lambda entry: entry[0]) if found else None


def _token_time(token: cms.SignedData) -> datetime:
    found: datetime = token["encap_content_info"]["content"].parsed["gen_time"].native
    return found


def _token_signer(token: cms.SignedData) -> asn1_x509.Certificate:
    sid = token["signer_infos"][0]["sid"]
    for choice in token["certificates"]:
        cert = choice.chosen
        if (
            sid.name == "issuer_and_serial_number"
            and cert.issuer == sid.chosen["issuer"]
            and cert.serial_number == sid.chosen["serial_number"].native
        ) or (sid.name == "subject_key_identifier" and cert.key_identifier == sid.native):
            return cert
    raise SigningError("A timestamp token does not hold its TSA's certificate.")


def add_archive_timestamp(
    pdf_bytes: bytes,
    *,
    newest: datetime | None = None,
    certs: list[asn1_x509.Certificate] | None = None,
) -> bytes:
    """PAdES B-LTA: append one incremental update that adds to the DSS the CRLs of every CA we
    hold, issued after the newest timestamp in the file (pki.crl_ders_issued_after), with
    the certificates of the timestamp tokens' chains, then a document timestamp over it all.

    At issuance this follows the signature (whose own timestamp the CRLs post-date); later
    (certificates/archive.py) it renews a file whose newest timestamp's TSA certificate or
    algorithms near their end. The certification signature's DocMDP rules allow exactly this
    (a DSS update and document timestamps). Raises NotYetError when no CRL issued after that
    timestamp is at hand yet, or there is no time-stamping authority.

    Issuance, which has just made the signature, passes its timestamp's time (`newest`) and
    the certificates of the signature and its token (`certs`): read back from the file they
    would cost as much as the signature (see _NotingTimeStamper).
    """
    if newest is None or certs is None:
        reader = PdfFileReader(io.BytesIO(pdf_bytes))
        found = newest_timestamp(reader)
        newest = found[0] if found else datetime.now(UTC)
        certs = _token_certificates(reader)
    try:
        timestamper = get_timestamper()
        crls = pki.crl_ders_issued_after(newest)
    except (SigningKeyError, pki.PkiError) as exc:
        raise NotYetError(str(exc)) from exc
    if timestamper is None:
        raise NotYetError("No time-stamping authority is configured (TSA_DISABLED).")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    DocumentSecurityStore.supply_dss_in_writer(
        writer,
        sig_contents=None,
        certs=certs,
        crls=[asn1_crl.CertificateList.load(der) for der in crls],
    )
    output = PdfTimeStamper(timestamper).timestamp_pdf(
        writer, md_algorithm="sha256", bytes_reserved=2 * TIMESTAMP_MARGIN, in_place=True
    )
    return bytes(output.getvalue())


def _token_certificates(reader: PdfFileReader) -> list[asn1_x509.Certificate]:
    """The certificates inside every timestamp token and signature in the file."""
    found: dict[bytes, asn1_x509.Certificate] = {}
    for signature in reader.embedded_signatures:
        tokens = [signature.signed_data]
        tokens += list(extract_tst_data_iter(signature.signer_info, signed=False))
        for token in tokens:
            for choice in token["certificates"] or []:
                if choice.name == "certificate":
                    found[choice.chosen.sha256] = choice.chosen
    return list(found.values())


def _just_signed(agency_code: str) -> dict[str, Any]:
    """What add_archive_timestamp needs of the signature this thread has just made: its
    timestamp's time and the certificates of the signature and of its token. Empty (the file
    is read instead) when no token was noted."""
    timestamper = get_timestamper()
    token = _noting(timestamper).take_noted() if timestamper is not None else None
    if token is None:
        return {}
    signed_data = token["content"]
    signer = get_signer(agency_code)
    certs = {cert.sha256: cert for cert in signer.cert_registry}
    if signer.signing_cert is not None:
        certs[signer.signing_cert.sha256] = signer.signing_cert
    for choice in signed_data["certificates"] or []:
        if choice.name == "certificate":
            certs[choice.chosen.sha256] = choice.chosen
    return {"newest": _token_time(signed_data), "certs": list(certs.values())}


def signing_ready(*, agency_code: str) -> None:
    """Raise SigningRefusedError unless the agency has a usable key (loaded once per process).
    Issuance asks before it reserves a certificate number, so that an agency without a key
    uses none."""
    try:
        get_signer(agency_code)
    except (SigningKeyError, pki.PkiError) as exc:
        raise SigningRefusedError(str(exc)) from exc


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
    """Sign a rendered certificate as the agency, with a visible stamp in box 12 of page
    `on_page` (negative: counted from the end; pdf.certification_page says which, since Form
    AI's notes page follows the certificate). See sign_pdf for the signature itself (B-LT),
    and add_archive_timestamp for the revision that makes it B-LTA before anyone has it."""
    if signed_at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware.")
    params = stamp_parameters(
        officer_name=officer_name,
        designation=designation,
        agency_name=agency_name,
        signed_at=signed_at,
    )
    field = SigFieldSpec(
        sig_field_name=FIELD_NAME,
        on_page=on_page,
        box=SIGNATURE_RECT,
        readable_field_name="Certification by the issuing agency",
    )
    signed = sign_pdf(
        pdf_bytes,
        agency_code=agency_code,
        field=field,
        signer_name=officer_name,
        reason=f"Certificate of Origin issued by {agency_name}",
        style=stamp_style(characters_for([STAMP_TEXT, *params.values()])),
        text_params=params,
    )
    try:
        return add_archive_timestamp(signed, **_just_signed(agency_code))
    except NotYetError as exc:
        # Issued B-LT: the archive task makes it B-LTA once its CA has published a CRL
        # after this signature (Certificate.offline_until stays empty until then).
        logger.warning("Certificate issued without its B-LTA update for now: %s", exc)
        return signed
