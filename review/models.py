"""The review app's own records: report exports built in the background."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


class ReportExport(TimeStampedModel):
    """A report over a long range, built by a Celery task (review.tasks) while the page shows
    its progress; the file is kept here (reports are small) for whoever asked for it."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        RUNNING = "running", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    agency = models.ForeignKey(
        "reference.IssuingAgency", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )  # None: every agency (platform staff)
    report = models.CharField(max_length=30)
    start = models.DateField()
    end = models.DateField()
    period = models.CharField(max_length=10)
    dimension = models.CharField(max_length=20)
    format = models.CharField(max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    filename = models.CharField(max_length=100, blank=True)
    content = models.BinaryField(blank=True, default=b"")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.report} {self.start}..{self.end} ({self.state})"
