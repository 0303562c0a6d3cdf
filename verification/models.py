from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from core.models import TimeStampedModel


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


class LookupDay(models.Model):
    """Daily roll-up of the lookups of certificates (not of numbers not found), per agency
    and channel, for the agency's reports: added to by the writers of the log in their own
    transaction (verification/rollups.py), rebuilt by `manage.py rollup_reports`."""

    day = models.DateField()
    agency = models.ForeignKey(
        "reference.IssuingAgency", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=VerificationLog.Channel.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "channel"], name="lookupday_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.channel}: {self.count}"


# ---------------------------------------------------------------------------------------------
# The transparency log (verification/transparency.py)
# ---------------------------------------------------------------------------------------------


class TransparencyLog(models.Model):
    """One issuing agency's append-only log. Its row is locked while a leaf is appended, so the
    agency's leaves have one total order and `size` is always the number of leaves."""

    agency = models.OneToOneField(
        "reference.IssuingAgency", on_delete=models.PROTECT, related_name="transparency_log"
    )
    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Transparency log {self.agency_id} ({self.size} leaves)"


class LogLeaf(models.Model):
    """One event of a certificate, as the log hashed it: `entry` is the exact leaf (canonical
    JSON), `leaf_hash` is SHA-256(0x00 || entry) in hex."""

    class Event(models.TextChoices):
        ISSUED = "issued", "Issued"
        REPLACEMENT = "replacement", "Issued in lieu of another"
        SUPERSEDED = "superseded", "Superseded"
        REVOKED = "revoked", "Revoked"

    log = models.ForeignKey(TransparencyLog, on_delete=models.PROTECT, related_name="leaves")
    index = models.PositiveBigIntegerField()
    certificate = models.ForeignKey(
        "certificates.Certificate",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="log_leaves",
    )
    event = models.CharField(max_length=12, choices=Event.choices)
    entry = models.TextField()
    leaf_hash = models.CharField(max_length=64)
    logged_at = models.DateTimeField()

    class Meta:
        ordering = ["log", "index"]
        constraints = [
            models.UniqueConstraint(fields=["log", "index"], name="logleaf_log_index"),
            models.UniqueConstraint(
                fields=["certificate", "event"], name="logleaf_certificate_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.log_id}#{self.index} {self.event}"


class LogNode(models.Model):
    """The hash of an aligned perfect subtree of two or more leaves: leaves
    [index * 2**level, (index + 1) * 2**level). Written once, when its last leaf is appended."""

    log = models.ForeignKey(TransparencyLog, on_delete=models.PROTECT, related_name="nodes")
    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["log", "level", "index"], name="lognode_position")
        ]

    def __str__(self) -> str:
        return f"{self.log_id} level {self.level} #{self.index}"


class SignedTreeHead(models.Model):
    """A tree head the agency signed: `jws` is the compact JWS (ES256, the agency's credential
    key) of {agency, tree_size, timestamp, sha256_root_hash}; the other fields repeat it."""

    log = models.ForeignKey(TransparencyLog, on_delete=models.PROTECT, related_name="heads")
    tree_size = models.PositiveBigIntegerField()
    root_hash = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    jws = models.TextField()

    class Meta:
        ordering = ["log", "-tree_size"]
        get_latest_by = "tree_size"
        constraints = [models.UniqueConstraint(fields=["log", "tree_size"], name="sth_log_size")]

    def __str__(self) -> str:
        return f"{self.log_id} head at {self.tree_size}"


# ---------------------------------------------------------------------------------------------
# Verifier organisations and utilisation (verification/utilisation.py)
# ---------------------------------------------------------------------------------------------


class VerifierOrganisation(TimeStampedModel):
    """A customs authority or a bank that verifies certificates as a partner. It acts (records
    utilisation, files requests) only once platform staff have confirmed it."""

    class Kind(models.TextChoices):
        CUSTOMS = "customs", "Customs authority"
        BANK = "bank", "Bank"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    country = CountryField()
    contact_email = models.EmailField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="verifierorg_kind_valid", condition=models.Q(kind__in=["customs", "bank"])
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.country.code})"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class VerifierMember(models.Model):
    """A person who acts for a verifier organisation (one organisation each)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verifier_membership"
    )
    organisation = models.ForeignKey(
        VerifierOrganisation, on_delete=models.CASCADE, related_name="members"
    )

    def __str__(self) -> str:
        return f"{self.user} of {self.organisation}"


class Utilisation(models.Model):
    """An import that a confirmed verifier says a certificate was used for, or a claim refused
    (a second import under a one-import agreement, more than the certificate covers): refused
    claims are kept, since the agency is alerted and must be able to see what was tried."""

    class Outcome(models.TextChoices):
        RECORDED = "recorded", "Recorded"
        REFUSED = "refused", "Refused"

    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="utilisations"
    )
    organisation = models.ForeignKey(
        VerifierOrganisation, on_delete=models.PROTECT, related_name="utilisations"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entry_number = models.CharField("bill of entry number", max_length=40)
    entry_date = models.DateField()
    port = models.CharField("port of import", max_length=100)
    item_position = models.PositiveSmallIntegerField(default=1)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    refusal_reason = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="utilisation_outcome_valid",
                condition=models.Q(outcome__in=["recorded", "refused"]),
            ),
            models.CheckConstraint(
                name="utilisation_quantity_positive", condition=models.Q(quantity__gt=0)
            ),
            models.UniqueConstraint(
                fields=["certificate", "organisation", "entry_number"],
                condition=models.Q(outcome="recorded"),
                name="utilisation_entry_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry_number} at {self.port} ({self.get_outcome_display()})"


# ---------------------------------------------------------------------------------------------
# Status subscriptions (verification/subscriptions.py)
# ---------------------------------------------------------------------------------------------


class StatusSubscription(models.Model):
    """Someone who verified a certificate (with its code) asked to hear of its changes, by
    email or by a signed webhook. `token` is the one-click unsubscribe link's secret."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.CASCADE, related_name="subscriptions"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    email = models.EmailField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    secret = models.CharField(max_length=80, blank=True)  # whsec_..., webhooks only
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="subscription_channel_target",
                condition=(
                    models.Q(channel="email", url="") & ~models.Q(email="")
                    | models.Q(channel="webhook", email="") & ~models.Q(url="")
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} on {self.certificate_id}: {self.email or self.url}"


# ---------------------------------------------------------------------------------------------
# Verification requests from importing customs (verification/requests.py)
# ---------------------------------------------------------------------------------------------


class VerificationRequest(models.Model):
    """A retroactive check: a confirmed verifier asks the issuing agency to verify a certificate
    (the agreements' operational certification procedures), the agency assigns an officer, the
    exporter answers with evidence, the agency answers the verifier with a reasoned finding."""

    class Reason(models.TextChoices):
        AUTHENTICITY = "authenticity", "Doubt about the authenticity of the certificate"
        ORIGIN_CRITERION = "origin_criterion", "Doubt that the origin criterion is met"
        ACCURACY = "accuracy", "Doubt about the accuracy of the information on the certificate"
        CONSIGNMENT = "consignment", "Doubt that the goods were consigned directly"
        RANDOM = "random", "Random check"

    class Status(models.TextChoices):
        FILED = "filed", "Filed, waiting for an officer"
        ASSIGNED = "assigned", "With an officer, evidence asked of the exporter"
        ANSWERED = "answered", "Evidence received from the exporter"
        DECIDED = "decided", "Answered"

    class Finding(models.TextChoices):
        CONFIRMED = "confirmed", "Origin confirmed"
        NOT_CONFIRMED = "not_confirmed", "Origin not confirmed"
        PARTLY = "partly", "Origin confirmed in part"

    certificate = models.ForeignKey(
        "certificates.Certificate", on_delete=models.PROTECT, related_name="verification_requests"
    )
    agency = models.ForeignKey(
        "reference.IssuingAgency", on_delete=models.PROTECT, related_name="verification_requests"
    )
    organisation = models.ForeignKey(
        VerifierOrganisation, on_delete=models.PROTECT, related_name="requests"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    their_reference = models.CharField("your reference", max_length=60, blank=True)
    reasons = models.JSONField(default=list)
    questions = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FILED)
    filed_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    exporter_answer = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    finding = models.CharField(max_length=15, choices=Finding.choices, blank=True)
    finding_reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="verifreq_agency_queue"),
            models.Index(fields=["status", "due_at"], name="verifreq_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                name="verifreq_status_valid",
                condition=models.Q(status__in=["filed", "assigned", "answered", "decided"]),
            ),
            models.CheckConstraint(
                name="verifreq_decided_has_finding",
                condition=~models.Q(status="decided") | ~models.Q(finding=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} on {self.certificate_id}"

    @property
    def reference(self) -> str:
        return f"VR-{self.pk:06d}" if self.pk else "VR-new"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DECIDED

    def reason_labels(self) -> list[str]:
        labels = dict(self.Reason.choices)
        return [labels.get(code, code) for code in self.reasons]


def request_attachment_upload_to(instance: RequestAttachment, filename: str) -> str:
    # The stored name never uses the uploader's file name.
    return f"verification-requests/{instance.request_id}/{instance.sha256}"


class RequestAttachment(models.Model):
    """A document the verifier sent with its request, or evidence the exporter answered with;
    checked by content (core.uploads) before it is kept."""

    class Party(models.TextChoices):
        VERIFIER = "verifier", "Verifier"
        EXPORTER = "exporter", "Exporter"

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    party = models.CharField(max_length=10, choices=Party.choices)
    file = models.FileField(upload_to=request_attachment_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="reqattachment_content_type_allowed",
                condition=models.Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_party_display()}: {self.original_name}"


class RequestEvent(models.Model):
    """The request's audit trail: append-only, one row per step."""

    class Kind(models.TextChoices):
        FILED = "filed", "Filed"
        ASSIGNED = "assigned", "Assigned"
        ANSWERED = "answered", "Exporter answered"
        DECIDED = "decided", "Finding given"
        REMINDED = "reminded", "Reminder sent"

    request = models.ForeignKey(
        VerificationRequest, on_delete=models.PROTECT, related_name="events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValueError("A verification request's events are never changed.")
        super().save(*args, **kwargs)
