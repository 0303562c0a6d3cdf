from __future__ import annotations

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class IdempotentRequest(models.Model):
    """A POST made with an Idempotency-Key, and the answer it got: the same key from the same
    token gets the same answer without doing the work again. The row is written in the
    transaction that does the work, under a unique constraint, so two concurrent retries
    cannot both do it."""

    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of method, path and body
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotentrequest_once")
        ]

    def __str__(self) -> str:
        return f"{self.token_id}:{self.key}"


class WebhookEndpoint(TimeStampedModel):
    """A URL that a firm, or an agent, asks to be told of its applications' status changes.
    Events are signed with the endpoint's secret by the Standard Webhooks scheme."""

    firm = models.ForeignKey(
        "accounts.IECRecord", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    agent = models.ForeignKey(
        "accounts.Agent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=100)  # "whsec_" + base64, as Standard Webhooks has it
    event_types = models.JSONField(default=list)  # empty: every event
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="webhookendpoint_one_owner",
                condition=models.Q(firm__isnull=False, agent__isnull=True)
                | models.Q(firm__isnull=True, agent__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TimeStampedModel):
    """One event for one endpoint, and how its sending went (the delivery log)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"  # gave up after the last retry

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    message_id = models.CharField(max_length=40)  # the webhook-id header: same on every retry
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "message_id"], name="webhookdelivery_once_per_endpoint"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.state})"


class BulkFiling(TimeStampedModel):
    """One spreadsheet of applications (CSV or XLSX, a row each), filed as drafts by a task:
    `rows` holds the parsed rows; every row handled adds to `done` in the transaction that
    makes its draft (or records its message), so a retried task goes on where it stopped."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    rows = models.JSONField(default=list)
    done = models.PositiveIntegerField(default=0)
    references = models.JSONField(default=list)  # the drafts made, in row order
    messages = models.JSONField(default=list)  # [{"row": 3, "message": "..."}]
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.done}/{len(self.rows)})"

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def percent(self) -> int:
        return 100 if not self.rows else round(100 * self.done / len(self.rows))
