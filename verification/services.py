"""Verification: answer "is this certificate genuine and still valid?" and log the question.

Every lookup writes one VerificationLog row. The client's address is kept only as an HMAC
with VERIFICATION_LOG_SALT, so the log can tell repeated lookups from one client apart without
ever holding the address itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from django.conf import settings

from applications.models import LineItem
from certificates.models import Certificate

from . import selectors
from .models import VerificationLog

# Compared against when no certificate has the number, so that an unknown number and a wrong
# code take the same path through the code (one query, one constant-time comparison).
_DUMMY_CODE = "0" * 16
_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_number(number: str) -> str:
    """Numbers are printed upper-case (EIC/2026/MUM/0000123); accept them typed any way."""
    return number.strip().strip("/").upper()


def normalise_code(code: str) -> str:
    """Codes are upper-case letters and digits; people type spaces and dashes into them."""
    return _SEPARATORS.sub("", code).upper()


def client_hash(address: str) -> str:
    """HMAC-SHA256 of the client address: the only trace of the address that is stored."""
    salt = str(settings.VERIFICATION_LOG_SALT).encode()
    return hmac.new(salt, address.encode(), hashlib.sha256).hexdigest()


def _log(
    *, certificate: Certificate | None, channel: str, outcome: str, client_address: str
) -> None:
    VerificationLog.objects.create(
        certificate=certificate,
        channel=channel,
        outcome=outcome,
        client_hash=client_hash(client_address),
    )


@dataclass(frozen=True)
class VerificationResult:
    """The answer to a lookup. A miss carries nothing, whatever was wrong."""

    certificate: Certificate | None = None
    items: list[LineItem] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.certificate is not None


def verification_lookup(
    *, number: str, code: str, channel: str, client_address: str
) -> VerificationResult:
    """Find the certificate with this number and verification code, and log the lookup.

    A wrong number and a wrong code are indistinguishable to the caller: same result, same
    queries (the code is compared in constant time, against a dummy when the number is
    unknown), and the goods are only read once both match. A miss is logged without a
    certificate, so failed guesses never show up in an exporter's verification count.
    """
    candidate = selectors.certificate_by_number(normalise_number(number))
    expected = candidate.verification_code if candidate is not None else _DUMMY_CODE
    code_matches = hmac.compare_digest(expected.encode(), normalise_code(code).encode())
    certificate = candidate if candidate is not None and code_matches else None
    _log(
        certificate=certificate,
        channel=channel,
        outcome=VerificationLog.Outcome.FOUND if certificate else VerificationLog.Outcome.NOT_FOUND,
        client_address=client_address,
    )
    if certificate is None:
        return VerificationResult()
    return VerificationResult(certificate, selectors.certificate_items(certificate))


# Why an uploaded document was refused, in words a customs officer can act on.
REFUSAL_REASONS = {
    "not_pdf": "The file is not a PDF document.",
    "no_signature": "The PDF carries no digital signature.",
    "signature_invalid": (
        "The signature does not match the document: it was changed after signing, "
        "or the signature is damaged."
    ),
    "unknown_key": "The PDF is signed, but not by a key of this portal.",
    "unknown_document": (
        "The signature is this portal's, but no certificate in the register is this exact file."
    ),
}


@dataclass(frozen=True)
class DocumentCheckResult:
    """The answer to an uploaded PDF: authentic (with its certificate) or refused with a reason."""

    reason: str
    certificate: Certificate | None = None
    items: list[LineItem] = field(default_factory=list)

    @property
    def authentic(self) -> bool:
        return self.certificate is not None

    @property
    def reason_text(self) -> str:
        return REFUSAL_REASONS.get(self.reason, "")


def verification_check_document(*, data: bytes, client_address: str) -> DocumentCheckResult:
    """Check an uploaded PDF's signature against our trust roots and its hash against the register.

    Both must hold: a valid signature by our key on a file that is not in the register (a
    test print, a file signed by a stolen or retired key) is refused as an unknown document.
    """
    # Imported here: the signature checker loads pyHanko, which only this path needs.
    from certificates.validation import check_signed_pdf

    check = check_signed_pdf(data)
    certificate = None
    reason = check.reason
    if check.ok:
        sha256 = hashlib.sha256(data).hexdigest()
        certificate = selectors.certificate_by_sha256(sha256)
        reason = "ok" if certificate is not None else "unknown_document"
    _log(
        certificate=certificate,
        channel=VerificationLog.Channel.UPLOAD,
        outcome=(
            VerificationLog.Outcome.AUTHENTIC if certificate else VerificationLog.Outcome.REFUSED
        ),
        client_address=client_address,
    )
    if certificate is None:
        return DocumentCheckResult(reason=reason)
    return DocumentCheckResult(reason, certificate, selectors.certificate_items(certificate))
