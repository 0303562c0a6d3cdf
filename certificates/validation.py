"""Checking a certificate PDF that someone hands us: is it ours, whole and unaltered?"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from asn1crypto import cms
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    DocumentSecurityStore,
    validate_pdf_signature,
    validate_pdf_timestamp,
)
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from . import pki
from .keys import trust_roots

logger = logging.getLogger(__name__)

CheckReason = Literal[
    "ok",
    "not_pdf",
    "no_signature",
    "signature_invalid",
    "unknown_key",
    "unsafe",  # verification/document_check.py: active content or an action leaving the file
    "unchecked",  # verification/document_check.py: beyond the structural limits or budget
]


@dataclass(frozen=True)
class PdfCheck:
    ok: bool
    reason: CheckReason
    sha256: str
    signer_subject: str = ""


def signature_timestamp(signature: EmbeddedPdfSignature) -> datetime | None:
    """The time in the signature's RFC 3161 token, if it has one (not yet validated)."""
    for attribute in signature.signer_info["unsigned_attrs"] or []:
        if attribute["type"].native == "signature_time_stamp_token":
            token: cms.SignedData = attribute["values"][0]["content"]
            return token["encap_content_info"]["content"].parsed["gen_time"].native
    return None


def _validation_contexts(
    reader: PdfFileReader,
    moment: datetime | None,
    *,
    roots: list | None = None,
    crls: list | None = None,
) -> tuple[ValidationContext, ValidationContext]:
    """Contexts for the signer (at `moment`) and the timestamp (now): our roots, the
    certificates and CRLs the file embeds plus our current CRLs, nothing fetched, and
    revocation information required for every certificate below a root. `roots` and `crls`
    stand in for ours where settings cannot be read (the upload check's child process)."""
    settings: dict = {
        "trust_roots": trust_roots() if roots is None else roots,
        "crls": pki.all_crls() if crls is None else crls,
        "allow_fetching": False,
        "revocation_mode": "require",
    }
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        dss = None

    def context(**extra: object) -> ValidationContext:
        merged = {**settings, **extra}
        return dss.as_validation_context(merged) if dss else ValidationContext(**merged)

    return context(**({"moment": moment} if moment else {})), context()


def _unaltered(status: PdfSignatureStatus, *, is_last: bool) -> bool:
    """The signed bytes hold, and nothing was changed after signing. The last signature must
    cover the whole file, or be followed only by what long-term validation adds (a DSS update
    and document timestamps, as B-LTA does), which its DocMDP rules allow. An annotation, a
    content overlay or a metadata change is a modification pyHanko reports, and is refused."""
    if not (status.intact and status.valid):
        return False
    if status.docmdp_ok is False:
        return False
    if not is_last or status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    level = status.modification_level
    return (
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and level is not None
        and level <= ModificationLevel.LTA_UPDATES
    )


def check_signed_pdf(
    data: bytes, *, roots: list | None = None, crls: list | None = None
) -> PdfCheck:
    """Validate every signature in `data` against our trust roots and CRLs (or `roots` and
    `crls`, given where settings cannot be read: the upload check's child process). Never
    raises.

    Valid means: each signature's digest and cryptographic signature hold; its certification
    (DocMDP) rules are kept, so nothing but long-term validation data was added after signing
    (pdfsig calls an appended edit "valid" with a mere "not total document signed"); its
    timestamp, if any, is valid and trusted; and the signer chains to one of our roots and
    was not revoked at the time of that timestamp (now, without one), judged from the CRLs
    the file embeds and the current ones we hold. A certificate signed before its agency's
    key was revoked therefore stays valid; one signed with that key afterwards does not.
    """
    digest = hashlib.sha256(data).hexdigest()

    def result(reason: CheckReason, subject: str = "") -> PdfCheck:
        return PdfCheck(reason == "ok", reason, digest, subject)

    if b"%PDF-" not in data[:1024]:
        return result("not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_regular_signatures
        document_timestamps = reader.embedded_timestamp_signatures
    except Exception:  # any parse failure of hostile input means "not a readable PDF"
        return result("not_pdf")
    if not signatures:
        return result("no_signature")

    subject = ""
    for index, signature in enumerate(signatures):
        try:
            signer_context, ts_context = _validation_contexts(
                reader, signature_timestamp(signature), roots=roots, crls=crls
            )
            status = validate_pdf_signature(
                signature,
                signer_validation_context=signer_context,
                ts_validation_context=ts_context,
            )
        except Exception:  # malformed signature dictionaries and containers raise many types
            logger.info("Signature %d could not be validated", index, exc_info=True)
            return result("signature_invalid")
        subject = status.signing_cert.subject.human_friendly
        if not _unaltered(status, is_last=index == len(signatures) - 1):
            return result("signature_invalid", subject)
        timestamp = status.timestamp_validity
        if timestamp is not None and not (timestamp.intact and timestamp.valid):
            return result("signature_invalid", subject)
        if not status.trusted or (timestamp is not None and not timestamp.trusted):
            return result("unknown_key", subject)
    for index, document_timestamp in enumerate(document_timestamps):
        # Added for long-term validation (B-LTA) after the signatures; each must hold.
        try:
            ts_status = validate_pdf_timestamp(
                document_timestamp,
                validation_context=_validation_contexts(reader, None, roots=roots, crls=crls)[1],
            )
        except Exception:
            logger.info("Document timestamp %d could not be validated", index, exc_info=True)
            return result("signature_invalid", subject)
        is_last = index == len(document_timestamps) - 1
        if not (ts_status.intact and ts_status.valid and ts_status.trusted) or (
            is_last and ts_status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        ):
            return result("signature_invalid", subject)
    return result("ok", subject)
