"""Checking a certificate PDF that someone hands us: is it ours, whole and unaltered?"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import DocumentSecurityStore
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    NonRevokedStatusAssertion,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import CRLContainer

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
            found: datetime = token["encap_content_info"]["content"].parsed["gen_time"].native
            return found
    return None


def validation_spec(
    *,
    roots: list[asn1_x509.Certificate],
    now: datetime | None = None,
    crls: list[asn1_crl.CertificateList] = (),  # type: ignore[assignment]  # read only
    trusted_now: list[asn1_x509.Certificate] = (),  # type: ignore[assignment]  # read only
) -> PdfSignatureValidationSpec:
    """AdES validation as a verifier years later does it (ETSI EN 319 102-1, 5.6.3): our
    roots, revocation data required for every certificate below a root, nothing fetched;
    the file's DSS and timestamps supply the rest (pyHanko reads them itself). `crls` are
    revocation data the verifier holds now (the portal's current CRLs); `trusted_now` are
    certificates the verifier takes as not revoked now, which an offline verifier must do
    for the newest TSA certificate, as nothing newer than the file can speak for it."""
    # pyHanko honours an assertion up to its time; validation starts a moment after this.
    asserted_until = (now or datetime.now(UTC)) + timedelta(minutes=1)
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(
            cert_validation_policy=CertValidationPolicySpec(
                trust_manager=SimpleTrustManager.build(trust_roots=roots),
                revinfo_policy=CertRevTrustPolicy(
                    RevocationCheckingPolicy(
                        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                    )
                ),
            ),
            revinfo_gathering_policy=RevocationInfoGatheringSpec(
                online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
            ),
            local_knowledge=LocalKnowledge(
                known_crls=[CRLContainer(crl) for crl in crls],
                nonrevoked_assertions=[
                    NonRevokedStatusAssertion(cert.sha256, at=asserted_until)
                    for cert in trusted_now
                ],
            ),
        )
    )


def ades_validate(
    signature: EmbeddedPdfSignature,
    spec: PdfSignatureValidationSpec,
    now: datetime | None = None,
) -> Any:
    """pyHanko's AdES long-term validation of one signature at `now` (default: the clock's),
    an AdESLTAValidationResult."""
    moment = now or datetime.now(UTC)
    timing = ValidationTimingInfo(
        validation_time=moment, best_signature_time=moment, point_in_time_validation=False
    )
    return asyncio.run(ades_lta_validation(signature, spec, timing_info=timing))


def _revoked(crls: list[asn1_crl.CertificateList], cert: asn1_x509.Certificate) -> bool:
    """One of `crls` lists `cert` as revoked, for any reason."""
    return any(
        crl["tbs_cert_list"]["issuer"] == cert.issuer
        and any(
            entry["user_certificate"].native == cert.serial_number
            for entry in crl["tbs_cert_list"]["revoked_certificates"] or []
        )
        for crl in crls
    )


def _compromised_before(
    crls: list[asn1_crl.CertificateList], cert: asn1_x509.Certificate, moment: datetime
) -> bool:
    """A CRL says that `cert`'s key was compromised (reason keyCompromise) at or before
    `moment`, by its invalidity date (RFC 5280 5.3.2), or its revocation date without one:
    a signature timestamped after that is not the agency's, even though the revocation
    itself came later. Other reasons (superseded, cessationOfOperation) leave signatures
    made before the revocation valid, which AdES validation already decides."""
    for crl in crls:
        if crl["tbs_cert_list"]["issuer"] != cert.issuer:
            continue
        for entry in crl["tbs_cert_list"]["revoked_certificates"] or []:
            if entry["user_certificate"].native != cert.serial_number:
                continue
            reason = entry.crl_reason_value
            if reason is None or reason.native != "key_compromise":
                continue
            invalid_since = entry.invalidity_date_value
            since = (
                invalid_since.native
                if invalid_since is not None
                else entry["revocation_date"].native
            )
            if since <= moment:
                return True
    return False


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
    data: bytes,
    *,
    roots: list[Any] | None = None,
    crls: list[Any] | None = None,
    now: datetime | None = None,
) -> PdfCheck:
    """Validate every signature in `data` against our trust roots and CRLs (or `roots` and
    `crls`, given where settings cannot be read: the upload check's child process), at `now`
    (default: the clock's; the child is handed its parent's). Never raises.

    Valid means: each signature's digest and cryptographic signature hold; its certification
    (DocMDP) rules are kept, so nothing but long-term validation data (a DSS update and
    document timestamps: PAdES B-LTA) was added after signing (pdfsig calls an appended edit
    "valid" with a mere "not total document signed"); every document timestamp is intact and
    the last covers the whole file; and the signature validates as AdES long-term validation
    does (pyHanko's ades_lta_validation): the chain of document timestamps gives proof of
    existence of the signature and of the revocation data in the DSS, so the signer (and
    each timestamp's TSA) is judged at the time that proof gives, with the CRLs the file
    holds and our current ones. A certificate signed before its agency's key was revoked, or
    whose signing or TSA certificate has since expired, therefore stays valid; one signed
    with a key after its revocation, or after the invalidity date of a key compromise, does
    not.
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
    if not _document_timestamps_hold(document_timestamps):
        return result("signature_invalid")
    held = pki.all_crls() if crls is None else crls
    moment = now or datetime.now(UTC)
    # With document timestamps, AdES validation reads the revocation data from the file,
    # where the timestamps prove when it existed; our current CRLs speak only for the newest
    # TSA certificate, for which nothing in the file can (pyHanko mixes current CRLs into the
    # past and then finds no proof of existence). Without any, the signature is judged now.
    newest_tsa = document_timestamps[-1].signer_cert if document_timestamps else None
    spec = validation_spec(
        roots=trust_roots() if roots is None else roots,
        crls=[] if newest_tsa else held,
        trusted_now=[newest_tsa] if newest_tsa and not _revoked(held, newest_tsa) else [],
        now=moment,
    )
    try:
        dss_crls = [
            asn1_crl.CertificateList.load(ref.get_object().data)
            for ref in DocumentSecurityStore.read_dss(reader).crls
        ]
    except NoDSSFoundError:
        dss_crls = []
    except Exception:
        return result("signature_invalid")

    subject = ""
    for index, signature in enumerate(signatures):
        try:
            outcome = ades_validate(signature, spec, moment)
        except Exception:  # malformed signature dictionaries and containers raise many types
            logger.info("Signature %d could not be validated", index, exc_info=True)
            return result("signature_invalid")
        status = outcome.api_status
        if status is None:
            return result("signature_invalid")
        subject = status.signing_cert.subject.human_friendly
        if not _unaltered(status, is_last=index == len(signatures) - 1):
            return result("signature_invalid", subject)
        if document_timestamps and outcome.oldest_evidence_record_timestamp is None:
            # intact (checked above) but their chain did not validate: no proof of
            # existence from a TSA we trust
            return result("unknown_key", subject)
        if not (outcome.ades_subindic == AdESPassed.OK or _valid_now(status, document_timestamps)):
            logger.info("Signature %d: %s (%s)", index, outcome.ades_subindic, outcome.failure_msg)
            return result("unknown_key", subject)
        proven_at = outcome.best_signature_time
        if proven_at is None or _compromised_before(
            [*held, *dss_crls], status.signing_cert, proven_at
        ):
            return result("unknown_key", subject)
    return result("ok", subject)


def _valid_now(status: PdfSignatureStatus, document_timestamps: list[Any]) -> bool:
    """A file without document timestamps (the signed revision alone, PAdES B-LT) gives no
    proof of existence for pyHanko's past validation, which it then reports as NO_POE even
    when the signature validates now: such a file is valid while its signer and its
    timestamp validate now, with revocation data."""
    timestamp = status.timestamp_validity
    return (
        not document_timestamps
        and status.trusted
        and timestamp is not None
        and timestamp.intact
        and timestamp.valid
        and timestamp.trusted
    )


def _document_timestamps_hold(document_timestamps: list[EmbeddedPdfSignature]) -> bool:
    """Each document timestamp's digest holds and the last covers the whole file (whether
    each is trusted is AdES validation's part: it makes their chain the proof of existence)."""
    for index, timestamp in enumerate(document_timestamps):
        try:
            timestamp.compute_integrity_info(skip_diff=True)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
            tst_info = timestamp.signed_data["encap_content_info"]["content"].parsed
            imprint = tst_info["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            intact = timestamp.compute_digest(algorithm) == imprint["hashed_message"].native
            coverage = timestamp.coverage
        except Exception:
            logger.info("Document timestamp %d could not be read", index, exc_info=True)
            return False
        if not intact:
            return False
        if index == len(document_timestamps) - 1 and coverage != SignatureCoverageLevel.ENTIRE_FILE:
            return False
    return True
