from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """A Celery task to be sent, written in the transaction whose commit calls for it.

    Published after commit when the broker answers, else by the periodic drain
    (durable.tasks.outbox_drain_task) once it does. `claimed_at` is set by the one process
    that publishes it; `sent_at` once the broker took it. Sent messages keep no content
    (args are emptied): an SMS may carry a one-time code.
    """

    task = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "waiting"
        return f"{self.task} #{self.pk} ({state})"


class RateCounter(models.Model):
    """One fixed-window count (key includes the window), for limits that must hold while
    Redis is down. Incremented atomically by durable.ratelimit.rate_counter_hit."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
