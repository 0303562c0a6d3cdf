"""Checking a certificate PDF that someone hands us: is it ours, whole and unaltered?"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Literal

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

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


def check_signed_pdf(data: bytes, *, roots: list | None = None) -> PdfCheck:
    """Validate every signature in `data` against our trust roots (or `roots`, given where
    settings cannot be read: the upload check's child process). Never raises.

    Valid means: each signature's digest and cryptographic signature hold, each signer chains
    to one of our roots, and the last signature covers the entire file. An incremental update
    appended after signing (which pdfsig calls "valid" with a mere "not total document signed")
    is therefore invalid here.
    """
    digest = hashlib.sha256(data).hexdigest()

    def result(reason: CheckReason, subject: str = "") -> PdfCheck:
        return PdfCheck(reason == "ok", reason, digest, subject)

    if b"%PDF-" not in data[:1024]:
        return result("not_pdf")
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # any parse failure of hostile input means "not a readable PDF"
        return result("not_pdf")
    if not signatures:
        return result("no_signature")

    subject = ""
    for index, signature in enumerate(signatures):
        context = ValidationContext(
            trust_roots=trust_roots() if roots is None else roots,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        try:
            status = validate_pdf_signature(
                signature, signer_validation_context=context, skip_diff=True
            )
        except Exception:  # malformed signature dictionaries and containers raise many types
            logger.info("Signature %d could not be validated", index, exc_info=True)
            return result("signature_invalid")
        subject = status.signing_cert.subject.human_friendly
        is_last = index == len(signatures) - 1
        if not (status.intact and status.valid):
            return result("signature_invalid", subject)
        if is_last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return result("signature_invalid", subject)
        if not status.trusted:
            return result("unknown_key", subject)
    return result("ok", subject)
