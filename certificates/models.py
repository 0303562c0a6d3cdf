from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

if TYPE_CHECKING:
    from applications.notifications import Sent


class CertificateCounter(models.Model):
    """The last number handed out for one office and year.

    Numbers come from this row under select_for_update: "highest + 1" gives duplicates under
    concurrency and a database sequence leaves gaps; a locked counter does neither.
    """

    office = models.ForeignKey("reference.AgencyOffice", on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="certcounter_office_year")
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last}"


class CertificateReservation(models.Model):
    """The certificate of an approved application while it is being issued: its number and
    verification code, taken in a short transaction of their own (certificates/numbering.py).

    Rendering and signing then run outside any lock; a retry, a redelivered task or a rerun
    after a worker died finds this row and uses the same number, so the register has no gaps
    and no number is handed out twice. Deleted when the Certificate row that carries the
    number is stored. Kept apart from Certificate so that no reader (verification, downloads,
    lists) can ever see a certificate that is not signed yet.
    """

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="+"
    )
    office = models.ForeignKey("reference.AgencyOffice", on_delete=models.PROTECT)
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    verification_code = models.CharField(max_length=16)
    reserved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "sequence"], name="certreservation_office_year_seq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} (issuing)"


def certificate_upload_to(instance: Certificate, filename: str) -> str:
    return f"certificates/{instance.year}/{instance.sha256}.pdf"


class Certificate(TimeStampedModel):
    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVOKED = "revoked", _("Revoked")
        SUPERSEDED = "superseded", _("Superseded")

    application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField(max_length=40, unique=True)
    verification_code = models.CharField(max_length=16)
    office = models.ForeignKey(
        "reference.AgencyOffice", on_delete=models.PROTECT, related_name="certificates"
    )
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    pdf = models.FileField(upload_to=certificate_upload_to, max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    issued_at = models.DateTimeField()
    signing_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.VALID)
    # Not stored: what the last service call on this instance queued to people.
    notified: Sent | None = None
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    # Until when the newest revision (pdf, sha256) verifies offline: the end of its newest
    # timestamp's TSA certificate. The archive task re-timestamps the file before then.
    offline_until = models.DateTimeField(
        "verifies offline until", null=True, blank=True, db_index=True
    )

    class Meta:
        ordering = ["-issued_at"]
        permissions = [("revoke_certificate", "Can revoke an issued certificate")]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "year", "sequence"], name="certificate_office_year_sequence"
            ),
            models.CheckConstraint(
                name="certificate_status_valid",
                condition=models.Q(status__in=["valid", "revoked", "superseded"]),
            ),
            models.CheckConstraint(
                name="certificate_revoked_has_reason",
                condition=~models.Q(status="revoked") | ~models.Q(revocation_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    # For templates: the state table is certificates/states.py; no page compares literals.
    @property
    def is_valid(self) -> bool:
        return self.status == self.Status.VALID

    @property
    def is_revoked(self) -> bool:
        return self.status == self.Status.REVOKED

    @property
    def is_superseded(self) -> bool:
        return self.status == self.Status.SUPERSEDED


class CertificateRevision(models.Model):
    """One revision of a certificate's PDF, by the SHA-256 of the file as it stood then.

    A PAdES B-LTA file grows by incremental updates, each keeping the bytes before it: the
    signed revision, the DSS and document timestamp added at issuance, and each archive
    timestamp (certificates/archive.py). A verifier may hold any of them, so the upload check
    takes each as this certificate (verification.selectors.certificate_by_sha256). The
    certificate's `pdf` and `sha256` are the newest; older ones are prefixes of it (`size`).
    """

    class Kind(models.TextChoices):
        SIGNED = "signed", _("Signed (PAdES B-LT)")
        ISSUED = "issued", _("Issued (PAdES B-LTA)")
        ARCHIVED = "archived", _("Archive timestamp")

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="revisions")
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    offline_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["certificate", "size"]

    def __str__(self) -> str:
        return f"{self.certificate_id}: {self.get_kind_display()} ({self.sha256[:12]})"


class IssuanceAttempt(models.Model):
    """One run of the issuance task: kept so that delays and failures are visible."""

    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="issuance_attempts"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    final = models.BooleanField(default=False, help_text="The last retry failed.")
    # Never finished, and too old for any worker to be still running it (its worker was killed
    # or lost mid-way): marked by the sweep (services.issuance_attempts_abandon), which queues
    # the issuance again.
    abandoned = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Issuance of application {self.application_id}: {self.outcome}"

    @property
    def outcome(self) -> str:
        if self.abandoned:
            return "abandoned"
        if self.finished_at is None:
            return "running"
        if self.succeeded:
            return "succeeded"
        return "failed (final)" if self.final else "failed, retried"


# A Bitstring Status List holds at least 131,072 entries (16 KiB) so that one revoked entry
# hides among many; a list takes new credentials until it is half full, so that a random free
# index is found in a couple of tries, then the agency's next list opens.
STATUS_LIST_SIZE = 131_072
STATUS_LIST_FILL = STATUS_LIST_SIZE // 2


class Credential(TimeStampedModel):
    """A certificate's Verifiable Credential and its entry on the agency's status list.

    The row is made (its index reserved) before the PDF is signed, because the credential
    embedded in the PDF names its status entry; `certificate` is set in the same transaction
    once the certificate row exists. `revoked` is the entry's bit on the served list.
    """

    agency = models.ForeignKey(
        "reference.IssuingAgency", on_delete=models.PROTECT, related_name="credentials"
    )
    list_number = models.PositiveIntegerField()
    status_index = models.PositiveIntegerField()
    certificate = models.OneToOneField(
        Certificate, null=True, blank=True, on_delete=models.PROTECT, related_name="credential"
    )
    credential_id = models.CharField(max_length=45, unique=True)  # urn:uuid:...
    # The downloadable credential (vc+jwt), signed after the PDF, with the signed PDF's SHA-256.
    jwt = models.TextField(blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "list_number", "status_index"], name="credential_status_slot"
            ),
            models.CheckConstraint(
                name="credential_status_index_in_list",
                condition=models.Q(status_index__lt=STATUS_LIST_SIZE),
            ),
        ]
        indexes = [
            models.Index(
                fields=["agency", "list_number", "revoked"], name="credential_list_revoked"
            )
        ]

    def __str__(self) -> str:
        return f"{self.credential_id} ({self.agency_id}/{self.list_number}#{self.status_index})"
