"""Daily roll-ups of the audit trail and the fees, for the agency's reports (review/reports.py).

Kept by the writers themselves, in their own transaction (applications/rollups.py): the review
steps by `application_event_record`, the fees by the capture of a payment, a refund to the
wallet and the issue of a tax invoice. Rebuilt from the raw rows by `manage.py rollup_reports`
and the nightly task, which also catch writes that bypass the writers (a bulk load)."""

from __future__ import annotations

from django.db import models

from reference.models import IssuingAgency


class ReviewDay(models.Model):
    """How many review steps (a transition into or out of "under review": a review started,
    released, sent back for clarification, approved, rejected) an officer took on a day, per
    agency. The clarification and refusal rates and each officer's workload are sums of it."""

    day = models.DateField()
    agency = models.ForeignKey(IssuingAgency, on_delete=models.CASCADE, related_name="+")
    from_status = models.CharField(max_length=30)
    to_status = models.CharField(max_length=30)
    # The user who took the step; 0 for the system. Not a foreign key: a nullable column in
    # the unique key would let two rows for "the system" through (NULLs are distinct), and
    # the addition relies on the key being unique.
    actor_id = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "from_status", "to_status", "actor_id"],
                name="reviewday_key",
            )
        ]
        indexes = [models.Index(fields=["agency", "day"], name="reviewday_agency_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.from_status}->{self.to_status}: {self.count}"


class FeeDay(models.Model):
    """Fees captured, refunded to fee wallets and taxed on a day, per agency, in paise."""

    day = models.DateField()
    agency = models.ForeignKey(IssuingAgency, on_delete=models.CASCADE, related_name="+")
    payments = models.PositiveIntegerField(default=0)
    fees_paise = models.BigIntegerField(default=0)
    refunds_paise = models.BigIntegerField(default=0)
    gst_paise = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "agency"], name="feeday_key")]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id}: {self.payments} fees"


class DecisionDay(models.Model):
    """A histogram of the time to decision: how many applications an agency decided on a day
    whose time from the (latest) submission to the decision, rounded up to the whole hour, was
    `hours` (so 48 holds the durations over 47 and up to 48 hours: a breach of the 48-hour
    service standard is exactly `hours` > 48). The report's percentiles are read from it to
    the hour (applications/rollups.py `decision_hours`)."""

    day = models.DateField()
    agency = models.ForeignKey(IssuingAgency, on_delete=models.CASCADE, related_name="+")
    hours = models.PositiveIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "hours"], name="decisionday_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.hours} h: {self.count}"
