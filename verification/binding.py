"""Does a credential belong to a certificate? The binding both checks (the upload check and
/verify/credential/) apply, so that a genuine credential of one certificate can never stand
for another: not inside another certificate's PDF, not beside another certificate's facts.

The register keeps each certificate's downloadable credential (Credential.jwt). The copy
embedded in the PDF is the same credential (same id, issuer, validity, status entries, facts)
without `pdfDocument`; a credential binds to a certificate when it is the register's, fact for
fact, and, where it names the PDF's SHA-256, that hash is one of the certificate's revisions.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from certificates.credential import ATTACHMENT_NAME
from certificates.models import Certificate, CertificateRevision, Credential

from .vc_check import CheckError, unverified_parts

logger = logging.getLogger(__name__)


def embedded_token(pdf: bytes) -> str | None:
    """The credential attached to a certificate PDF, or None if it has none.

    Call it only on bytes the portal issued (a revision found in the register by its hash) or
    inside the upload sandbox: reading a hostile PDF is the sandbox's job, not this one's."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            attachments = PdfReader(io.BytesIO(pdf), strict=False).attachments
            found = attachments.get(ATTACHMENT_NAME)
    except (PyPdfError, ValueError, KeyError, TypeError):
        return None
    if not found:
        return None
    try:
        return found[0].decode("ascii").strip()
    except UnicodeDecodeError:
        return None


def _facts(claims: dict[str, Any]) -> dict[str, Any]:
    """The credential without the one claim its two copies differ in (pdfDocument)."""
    subject = {
        k: v for k, v in (claims.get("credentialSubject") or {}).items() if k != "pdfDocument"
    }
    return {**claims, "credentialSubject": subject}


def credential_binds(claims: dict[str, Any], certificate: Certificate) -> bool:
    """Whether the credential `claims` (its payload, signature checked elsewhere) is the
    register's credential of `certificate`: same id, same number, same facts, and a PDF hash,
    if it names one, of one of the certificate's revisions."""
    register = Credential.objects.filter(certificate=certificate).exclude(jwt="").first()
    if register is None:
        return False
    try:
        _, registered = unverified_parts(register.jwt)
    except CheckError:
        logger.error("The register's credential of %s cannot be read", certificate.number)
        return False
    subject = claims.get("credentialSubject") or {}
    if (
        claims.get("id") != register.credential_id
        or subject.get("certificateNumber") != certificate.number
        or json.dumps(_facts(claims), sort_keys=True)
        != json.dumps(_facts(registered), sort_keys=True)
    ):
        return False
    pdf = subject.get("pdfDocument")
    if pdf is None:
        return True
    sha256 = pdf.get("sha256") if isinstance(pdf, dict) else None
    return sha256 == certificate.sha256 or (
        isinstance(sha256, str)
        and CertificateRevision.objects.filter(certificate=certificate, sha256=sha256).exists()
    )


def pdf_credential_binds(pdf: bytes, certificate: Certificate) -> bool:
    """Whether the credential inside a register revision of `certificate` is its own. A
    certificate issued before credentials existed has neither an attachment nor a register
    credential: nothing to bind."""
    token = embedded_token(pdf)
    if token is None:
        return not Credential.objects.filter(certificate=certificate).exists()
    try:
        _, claims = unverified_parts(token)
    except CheckError:
        return False
    return credential_binds(claims, certificate)
