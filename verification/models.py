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
