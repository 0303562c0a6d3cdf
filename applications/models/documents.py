from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from .application import Application


class DocumentKind(models.TextChoices):
    COMMERCIAL_INVOICE = "commercial_invoice", _("Commercial invoice")
    PACKING_LIST = "packing_list", _("Packing list")
    BILL_OF_LADING = "bill_of_lading", _("Bill of lading / airway bill")
    FOREIGN_CERTIFICATE = "foreign_certificate", _("Foreign certificate of origin (re-export)")
    OTHER = "other", _("Other")


REQUIRED_DOCUMENTS = (DocumentKind.COMMERCIAL_INVOICE, DocumentKind.PACKING_LIST)


def document_upload_to(instance: Document, filename: str) -> str:
    # The stored name never uses the uploader's file name.
    return f"documents/{instance.application.reference}/{instance.sha256}"


class Document(TimeStampedModel):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind", "created_at"]
        indexes = [
            # The review page's risk check: the same bill of lading file on another application.
            models.Index(
                fields=["sha256"],
                condition=models.Q(kind="bill_of_lading"),
                name="document_bill_of_lading_sha",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="document_content_type_allowed",
                condition=models.Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"

    @property
    def content_label(self) -> str:
        """What the content is (found by reading it at upload), in words."""
        return DOCUMENT_CONTENT_LABELS.get(self.content_type, self.content_type)


def upload_check_to(instance: UploadCheck, filename: str) -> str:
    # Kept apart from documents until checked; never under the uploader's file name.
    return f"uploads-checking/{instance.application.reference}/{instance.token}"


class UploadCheck(TimeStampedModel):
    """A supporting document received and waiting for its content check, which runs off the
    web threads (the upload-check task, on a worker; in-process on the embedded default). The
    file becomes a Document, usable by anyone, only if the check passes
    (services.upload_check_run); until then nobody but the uploader's page sees it."""

    class State(models.TextChoices):
        CHECKING = "checking", "Checking"
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="upload_checks"
    )
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    token = models.CharField(max_length=32, unique=True)  # the staged file's name
    file = models.FileField(upload_to=upload_check_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)  # sniffed from the first bytes
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    message = models.TextField(blank=True)  # why it was refused, as the page says it
    document = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)  # the result shown to the uploader

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="uploadcheck_state_valid",
                condition=models.Q(state__in=["checking", "accepted", "refused"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"


DOCUMENT_CONTENT_LABELS = {
    "application/pdf": "PDF document",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
}
