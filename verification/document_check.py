"""The upload check of a certificate PDF, run where a hostile file can do no harm.

Anyone may upload a file to /verify/document/, so the whole reading of it (the structural
limits, the active-content walk, then the signature check of certificates/validation.py) runs
in a child process with a CPU and memory budget (core/sandbox.py). Beyond the limits or
the budget, the answer is "unchecked"; active content or an action that leaves the document
is "unsafe": the view answers both with 422, never 500.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import warnings
from datetime import datetime

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from django.utils import timezone
from pypdf import PdfReader

from certificates import pki
from certificates.keys import SigningKeyError, trust_roots
from certificates.validation import CheckReason, PdfCheck, check_signed_pdf
from core import pdf_safety, sandbox
from core.uploads import upload_budget

logger = logging.getLogger(__name__)

# How many of these checks may run at once in one web process. Anyone may upload a file, and a
# check holds its web thread while the sandboxed child works (up to the budget's wall
# seconds): six hostile files sent together held every thread of the portal for about 5 s
# (issue 33). With one at a time, a process's other threads (gunicorn.conf.py runs two per
# worker) stay free for the pages; a second upload meanwhile waits briefly for the slot, then
# is told to try again (503).
CHECKS_AT_ONCE = 1
# How long an upload waits for the slot before it is told to try again: two ordinary checks
# that overlap (a genuine PDF takes a fraction of a second) both get their answer.
SLOT_WAIT_SECONDS = 2.0
_slots = threading.BoundedSemaphore(CHECKS_AT_ONCE)


def document_check(data: bytes) -> PdfCheck:
    """Check an uploaded certificate PDF in a limited child process. Raises sandbox.Busy when
    CHECKS_AT_ONCE checks are running in this process already; otherwise never raises."""
    sha256 = hashlib.sha256(data).hexdigest()
    if b"%PDF-" not in data[:1024]:
        return PdfCheck(False, "not_pdf", sha256)  # not worth a child
    # The child has no settings: it is handed our roots and current CRLs, as DER.
    try:
        roots = [root.dump() for root in trust_roots()]
        crls = [crl.dump() for crl in pki.all_crls()]
    except (SigningKeyError, pki.PkiError):
        # An unreadable trust root or CRL is the operator's fault, not the file's: say that
        # it could not be checked (and log it), never "authentic" and never a 500.
        logger.exception("The trust roots or CRLs could not be read for an upload check")
        return PdfCheck(False, "unchecked", sha256)
    if not _slots.acquire(timeout=SLOT_WAIT_SECONDS):
        logger.warning("An uploaded PDF was not checked: %d checks already run", CHECKS_AT_ONCE)
        raise sandbox.Busy
    try:
        checked: PdfCheck = sandbox.run(
            certificate_check, data, roots, crls, timezone.now(), budget=upload_budget()
        ).value
        return checked
    except sandbox.Unchecked as exc:
        logger.info("An uploaded PDF could not be checked (%s)", exc.why)
        return PdfCheck(False, "unchecked", sha256)
    finally:
        _slots.release()


def certificate_check(
    data: bytes, roots: list[bytes], crls: list[bytes], now: datetime | None = None
) -> PdfCheck:
    """In the child: the structural limits and the walk first, then the signatures, validated
    at `now`, the parent's time (the child has no settings, and a test's moved clock stays
    in the parent)."""
    sha256 = hashlib.sha256(data).hexdigest()
    limits = pdf_safety.CERTIFICATE_LIMITS
    try:
        pdf_safety.prescan(data, limits)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pdf_safety.inspect(PdfReader(io.BytesIO(data), strict=False), limits)
    except pdf_safety.PdfRefused as exc:
        reasons: dict[str, CheckReason] = {"unsafe": "unsafe", "too_complex": "unchecked"}
        reason = reasons.get(exc.kind, "not_pdf")
        return PdfCheck(False, reason, sha256)
    except RecursionError:
        return PdfCheck(False, "unchecked", sha256)
    except Exception:  # any parse failure of hostile input means "not a readable PDF"
        return PdfCheck(False, "not_pdf", sha256)
    return check_signed_pdf(
        data,
        roots=[asn1_x509.Certificate.load(der) for der in roots],
        crls=[asn1_crl.CertificateList.load(der) for der in crls],
        now=now,
    )
