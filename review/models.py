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


class ApplicationDay(models.Model):
    """Daily roll-up of applications for the reports (review/rollups.py): how many were
    received (first submitted) or decided on a day, per agency, office, agreement, destination
    and status now. Kept as applications change (a signal refreshes the days an application
    counts on) and rebuilt by `rollup_reports` / the nightly beat task; the reports read it
    for full days and the applications themselves only for today."""

    class Measure(models.TextChoices):
        RECEIVED = "received", "Received"
        DECIDED = "decided", "Decided"

    measure = models.CharField(max_length=10, choices=Measure.choices)
    day = models.DateField()
    agency = models.ForeignKey(
        "reference.IssuingAgency", on_delete=models.CASCADE, related_name="+"
    )
    office = models.ForeignKey("reference.AgencyOffice", on_delete=models.CASCADE, related_name="+")
    agreement = models.ForeignKey(
        "reference.TradeAgreement", null=True, on_delete=models.CASCADE, related_name="+"
    )
    destination = models.CharField(max_length=2)
    status = models.CharField(max_length=30)
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["agency", "measure", "day"], name="review_day_agency_idx"),
            models.Index(fields=["measure", "day"], name="review_day_all_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.day} {self.agency_id}/{self.office_id}: {self.count}"
