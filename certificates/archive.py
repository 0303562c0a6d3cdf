"""Archive timestamps: keeping every certificate verifiable after its timestamps' TSA
certificates expire (PAdES B-LTA, ETSI EN 319 142-1).

A certificate leaves issuance as B-LTA (signing.add_archive_timestamp): its newest document
timestamp proves that the signature and the revocation data in the file existed then, and it
verifies offline until that timestamp's TSA certificate expires (Certificate.offline_until).
Before then, archive_timestamps_run (celery beat, and the `archive_timestamps` command) adds
one more incremental update to each such file: a DSS with CRLs issued after the newest
timestamp, and a new document timestamp by the current TSA, whose certificate lasts longer.
Every revision's SHA-256 stays in the register (CertificateRevision), so a verifier holding an
older file still gets "authentic"; downloads hand out the newest.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from core.storage import open_verified

from .models import Certificate, CertificateRevision, certificate_upload_to
from .signing import SigningRefusedError, add_archive_timestamp, newest_timestamp

logger = logging.getLogger(__name__)


def revision_ends(pdf: bytes) -> list[int]:
    """Where each signed revision of `pdf` ends: the end of each signature's and document
    timestamp's byte range (a file as it stood after that signature), in order."""
    reader = PdfFileReader(io.BytesIO(pdf))
    ends = set()
    for signature in reader.embedded_signatures:
        byte_range = signature.byte_range
        ends.add(int(byte_range[-2]) + int(byte_range[-1]))
    return sorted(ends)


def offline_until(pdf: bytes) -> datetime | None:
    """When the newest document timestamp's TSA certificate expires: until then the file
    verifies offline, from what it holds. None without a document timestamp (B-LT at most:
    the CRLs it holds run out within days), which the archive task renews first."""
    reader = PdfFileReader(io.BytesIO(pdf))
    newest = newest_timestamp(reader)
    if newest is None or not reader.embedded_timestamp_signatures:
        return None
    not_after: datetime = newest[1]["tbs_certificate"]["validity"]["not_after"].native
    return not_after


def store_pdf(*, year: int, sha256: str, content: bytes) -> str:
    """Save signed bytes under a content-addressed name; returns the stored name.

    A rolled-back attempt leaves at most an orphan file under its own hash, never a file
    that a certificate row points to with the wrong content.
    """
    name = certificate_upload_to(Certificate(year=year, sha256=sha256), "")
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(content))


def revisions_record(
    *, certificate: Certificate, pdf: bytes, newest_kind: CertificateRevision.Kind
) -> None:
    """Register the SHA-256 of every signed revision of `pdf` not registered yet: the first
    as SIGNED, any between as ISSUED, the whole file as `newest_kind`."""
    ends = revision_ends(pdf)
    if not ends or ends[-1] != len(pdf):
        ends.append(len(pdf))
    known = set(certificate.revisions.values_list("sha256", flat=True))
    for position, end in enumerate(ends):
        digest = hashlib.sha256(pdf[:end]).hexdigest()
        if digest in known:
            continue
        if end == len(pdf):
            kind = newest_kind
        else:
            kind = (
                CertificateRevision.Kind.SIGNED
                if position == 0
                else CertificateRevision.Kind.ISSUED
            )
        CertificateRevision.objects.create(
            certificate=certificate,
            sha256=digest,
            size=end,
            kind=kind,
            offline_until=offline_until(pdf[:end]),
        )


# ---------------------------------------------------------------------------------------------
# The archive task
# ---------------------------------------------------------------------------------------------


def archive_horizon() -> timedelta:
    return timedelta(days=settings.ARCHIVE_TIMESTAMP_HORIZON_DAYS)


def certificates_archive_due(*, now: datetime | None = None) -> QuerySet[Certificate]:
    """Certificates whose newest revision stops verifying offline within the horizon
    (ARCHIVE_TIMESTAMP_HORIZON_DAYS), or has no document timestamp yet (issued before this
    existed, or while no fresh CRL was at hand), the most urgent first. Revoked and
    superseded ones too: a verifier must still tell a genuine revoked certificate from a
    forgery."""
    moment = (now or timezone.now()) + archive_horizon()
    due = Q(offline_until__lt=moment) | Q(offline_until__isnull=True)
    return Certificate.objects.filter(due).order_by(F("offline_until").asc(nulls_first=True), "pk")


class ArchiveNotUsefulError(Exception):
    """The current TSA's certificate ends no later than the file's newest timestamp's: a new
    timestamp would not extend anything. An operator must renew the TSA's certificate."""


def certificate_archive(*, certificate_id: int) -> CertificateRevision | None:
    """Add an archive timestamp to one certificate's newest PDF, if it is still due; returns
    the new revision, or None when it is not due (idempotent: a rerun, a second worker).

    The timestamp is taken outside any transaction; a short transaction then stores the
    file (content-addressed), registers the revision and points the certificate at it, unless
    another run did so first. Raises SigningRefusedError (no fresh CRL yet, no TSA) and
    ArchiveNotUsefulError.
    """
    certificate = Certificate.objects.get(pk=certificate_id)
    if not _due(certificate):
        return None
    with open_verified(certificate.pdf, sha256=certificate.sha256) as stored:
        current = stored.read()
    renewed = add_archive_timestamp(current)
    until = offline_until(renewed)
    if certificate.offline_until is not None and (
        until is None or until <= certificate.offline_until
    ):
        raise ArchiveNotUsefulError(
            f"The time-stamping authority's certificate ends {until:%Y-%m-%d}, no later than "
            f"the timestamp {certificate.number} already has: renew the TSA's certificate."
        )
    sha256 = hashlib.sha256(renewed).hexdigest()
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate_id)
        if locked.sha256 != certificate.sha256:
            return None  # another run renewed it meanwhile
        locked.pdf = store_pdf(year=locked.year, sha256=sha256, content=renewed)
        locked.sha256 = sha256
        locked.offline_until = until
        locked.save(update_fields=["pdf", "sha256", "offline_until", "updated_at"])
        revisions_record(
            certificate=locked, pdf=renewed, newest_kind=CertificateRevision.Kind.ARCHIVED
        )
        return locked.revisions.get(sha256=sha256)


def _due(certificate: Certificate) -> bool:
    return (
        certificate.offline_until is None
        or certificate.offline_until < timezone.now() + archive_horizon()
    )


@dataclass
class ArchiveRun:
    """What one run of the archive task did."""

    renewed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    remaining: int = 0


def archive_timestamps_run(*, limit: int | None = None) -> ArchiveRun:
    """Renew up to `limit` (ARCHIVE_TIMESTAMP_BATCH) due certificates, most urgent first.
    A certificate that fails is logged and left for the next run; a TSA whose certificate
    would not extend anything stops the run (every other certificate would fail the same)."""
    batch = limit if limit is not None else settings.ARCHIVE_TIMESTAMP_BATCH
    run = ArchiveRun()
    for certificate_id, number in certificates_archive_due().values_list("pk", "number")[:batch]:
        try:
            if certificate_archive(certificate_id=certificate_id) is not None:
                run.renewed.append(number)
        except ArchiveNotUsefulError as exc:
            logger.error("Archive timestamps stopped: %s", exc)
            run.failed[number] = str(exc)
            break
        except SigningRefusedError as exc:  # NotYetError: no fresh CRL, no TSA
            logger.warning("Archive timestamp of %s not added: %s", number, exc)
            run.failed[number] = str(exc)
    run.remaining = certificates_archive_due().count()
    return run
