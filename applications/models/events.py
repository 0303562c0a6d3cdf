from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .application import Application, Status


class ApplicationEvent(models.Model):
    """The append-only audit trail: every status change and every message."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("Status change")
        MESSAGE = "message", _("Message")
        ASSIGNMENT = "assignment", _("Assignment")
        PAYMENT = "payment", _("Payment")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRANSITION)
    from_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    # Done through the filing API (api/) with the actor's token, not on the portal's pages.
    via_api = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} -> {self.to_status}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("Application events are append-only.")
        super().save(*args, **kwargs)

    @property
    def label(self) -> str:
        """What the timeline calls this event: what happened, never a generic "Message"
        for a revocation or a status name for a release."""
        if self.kind == self.Kind.TRANSITION:
            special: dict[tuple[str, str], str] = {
                (Status.UNDER_REVIEW, Status.SUBMITTED): "Released to the queue",
                (Status.CLARIFICATION_REQUESTED, Status.SUBMITTED): "Resubmitted with a reply",
                (Status.SUBMITTED, Status.UNDER_REVIEW): "Review started",
            }
            return special.get((self.from_status, self.to_status), self.get_to_status_display())
        if self.kind == self.Kind.PAYMENT:
            return "Fee paid"
        if self.kind == self.Kind.ASSIGNMENT:
            return "Assigned"
        if self.to_status == Status.DRAFT:
            return "Started"
        # Certificate events are written as messages by certificates.services, whose notes
        # start with the certificate's number and say what happened to it.
        if self.note.startswith("Certificate ") and " revoked: " in self.note:
            return "Certificate revoked"
        if self.note.startswith("Certificate ") and " superseded by " in self.note:
            return "Certificate superseded"
        if self.note.startswith("Requested in lieu of certificate"):
            return "Correction requested"
        if self.note.startswith("Ready for signature"):
            return "Ready for signature"
        return "Message"


class ApplicationSnapshot(models.Model):
    """What the application said when an officer asked for clarification (written with the
    clarification event), so the officer's page can list what the exporter changed since
    (applications/snapshots.py). Append-only like the events it belongs to."""

    event = models.OneToOneField(
        ApplicationEvent, on_delete=models.PROTECT, related_name="snapshot"
    )
    data = models.JSONField()

    def __str__(self) -> str:
        return f"snapshot of event {self.event_id}"


class DeclarationSignature(models.Model):
    """The exporter's declaration, signed: who signed, in what capacity and for whom, when,
    how (a one-time code sent to their verified mobile, or an eSign service provider), and the
    SHA-256 of exactly what was declared (applications/declaration.py's canonical text).

    A row is written when the code is sent (`signed_at` empty) and completed when the right
    code comes back; a newer row replaces an unfinished one. A signature counts only while the
    application's canonical text still has its hash: any change after signing asks for a new
    signature. Append-only evidence: rows are never edited once signed, nor deleted."""

    class Method(models.TextChoices):
        SMS_OTP = "sms_otp", "One-time code by SMS"
        ESIGN = "esign", "eSign service provider"

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="declaration_signatures"
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # As they were when signing: a later change of name or role does not change who signed.
    signer_name = models.CharField(max_length=200)
    capacity = models.CharField(max_length=300)  # "signatory of Shakti Spices LLP"
    on_behalf_of = models.CharField(max_length=200)  # the firm (the IEC holder)
    method = models.CharField(max_length=10, choices=Method.choices)
    mobile = models.CharField(max_length=13, blank=True)  # where the code went
    code_sent_at = models.DateTimeField()
    # The delivery record: the outbox row (durable.OutboxMessage) that carried the SMS.
    # Kept as a number, not a key: sent rows are forgotten after OUTBOX_KEEP_DAYS.
    delivery_outbox_id = models.BigIntegerField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64)
    content = models.TextField()  # the canonical text that was hashed, for anyone to re-hash
    signed_at = models.DateTimeField(null=True, blank=True)
    # The ESP's answer (its response code and the signed CMS, base64), for the eSign route.
    esp_response = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="declaration_signature_method_valid",
                condition=models.Q(method__in=["sms_otp", "esign"]),
            ),
        ]

    def __str__(self) -> str:
        state = "signed" if self.signed_at else "code sent"
        return f"declaration of {self.application_id} by {self.signer_name} ({state})"
