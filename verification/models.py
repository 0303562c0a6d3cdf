from __future__ import annotations

from django.db import models
from django.utils import timezone


class VerificationLog(models.Model):
    """One lookup. The client address is kept only as a salted hash."""

    class Channel(models.TextChoices):
        PAGE = "page", "Verification page"
        QR = "qr", "QR link"
        UPLOAD = "upload", "PDF upload"
        API = "api", "API"
        CREDENTIAL = "credential", "Credential check"

    class Outcome(models.TextChoices):
        FOUND = "found", "Found"
        NOT_FOUND = "not_found", "Not found"
        AUTHENTIC = "authentic", "Authentic"
        REFUSED = "refused", "Refused"

    certificate = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="verifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    client_hash = models.CharField(max_length=64)
    # When the lookup happened (rows queued in Redis are written a few seconds later).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A certificate's lookups, newest first: the application page's "checked by
            # verifiers" (a bounded count and the last one) reads a few index entries, not
            # every lookup of a certificate looked up a million times.
            models.Index(fields=["certificate", "-created_at"], name="verificationlog_cert_time"),
        ]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}" if self.created_at else ""
        return f"{self.get_channel_display()} {self.get_outcome_display()} {when}"
