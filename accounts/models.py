from __future__ import annotations

import re

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django_otp.models import SideChannelDevice

from coo_portal.models import TimeStampedModel

IEC_RE = re.compile(r"^(?:\d{10}|[A-Z]{5}\d{4}[A-Z])$")
MOBILE_RE = re.compile(r"^(?:\+91)?(\d{10})$")

iec_validator = RegexValidator(
    IEC_RE,
    "Enter a valid IEC: 10 digits, or 5 letters, 4 digits and a letter (e.g. ABCDE1234F).",
)
mobile_validator = RegexValidator(r"^\+91\d{10}$", "Enter a mobile number as +91 and 10 digits.")


def normalise_iec(value: str) -> str:
    return (value or "").strip().upper()


def normalise_mobile(value: str) -> str:
    """'9876543210', '+91 98765 43210' and '+919876543210' all become '+919876543210'.

    Anything else is returned stripped, so the validator reports it.
    """
    compact = re.sub(r"[\s-]", "", value or "")
    match = MOBILE_RE.match(compact)
    return f"+91{match.group(1)}" if match else compact


class User(AbstractUser):
    """A person who signs in. Exporters sign in with their IEC as the username; officers and
    agency administrators with a username of their own."""

    class Role(models.TextChoices):
        EXPORTER = "exporter", "Exporter"
        OFFICER = "officer", "Officer"
        AGENCY_ADMIN = "agency_admin", "Agency administrator"
        OPERATOR = "operator", "Operator"

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.EXPORTER)
    mobile = models.CharField(max_length=13, blank=True, validators=[mobile_validator])

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_valid",
                condition=models.Q(role__in=["exporter", "officer", "agency_admin", "operator"]),
            )
        ]

    @property
    def is_exporter(self) -> bool:
        return self.role == self.Role.EXPORTER

    @property
    def is_officer(self) -> bool:
        """Officers and agency administrators both work the agency's queues."""
        return self.role in {self.Role.OFFICER, self.Role.AGENCY_ADMIN}


class IECRecord(TimeStampedModel):
    """A copy of DGFT's IEC database entry. Not editable by the exporter on this portal."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CANCELLED = "cancelled", "Cancelled"

    iec = models.CharField("IEC", max_length=10, unique=True, validators=[iec_validator])
    firm_name = models.CharField(max_length=200)
    address = models.TextField()
    pan = models.CharField("PAN", max_length=10, blank=True)
    email = models.EmailField("registered email")
    mobile = models.CharField("registered mobile", max_length=13, validators=[mobile_validator])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = "IEC record"
        ordering = ["iec"]
        # Held by platform staff only (accounts.admin_scope): the registry and exporters'
        # credentials are never an agency's to change.
        permissions = [
            (
                "manage_exporter_accounts",
                "Can change exporters' credentials (password, email, mobile) and the IEC registry",
            )
        ]
        constraints = [
            models.CheckConstraint(
                name="iecrecord_status_valid",
                condition=models.Q(status__in=["active", "suspended", "cancelled"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.iec} {self.firm_name}"


class ExporterProfile(TimeStampedModel):
    """Links a user to their IEC record and tracks how far registration got."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="exporter_profile")
    iec_record = models.OneToOneField(IECRecord, on_delete=models.PROTECT, related_name="profile")
    email_verified_at = models.DateTimeField(null=True, blank=True)
    mobile_verified_at = models.DateTimeField(null=True, blank=True)
    registration_completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.iec_record)

    @property
    def iec(self) -> str:
        return self.iec_record.iec

    @property
    def firm_name(self) -> str:
        return self.iec_record.firm_name


class OfficerProfile(TimeStampedModel):
    """An officer (or agency administrator) of an issuing agency, posted at one office."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="officer_profile")
    agency = models.ForeignKey(
        "reference.IssuingAgency", on_delete=models.PROTECT, related_name="officers"
    )
    office = models.ForeignKey(
        "reference.AgencyOffice", on_delete=models.PROTECT, related_name="officers"
    )
    designation = models.CharField(max_length=100, default="Certifying Officer")

    class Meta:
        constraints = []

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.agency.code})"


class SMSDevice(SideChannelDevice):
    """A one-time code sent by SMS to a mobile number (django-otp device).

    One device per user and purpose. A code lives 10 minutes and survives at most
    OTP_MAX_FAILURES wrong tries; a new code may be sent after OTP_RESEND_SECONDS, and at
    most OTP_SENDS_PER_HOUR times an hour. The code is stored only until it is used.
    """

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", "Registration"
        PASSWORD_RESET = "password_reset", "Password reset"

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    number = models.CharField(max_length=13, validators=[mobile_validator])
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    send_window_started_at = models.DateTimeField(null=True, blank=True)
    sends_in_window = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "SMS OTP device"
        constraints = [
            models.UniqueConstraint(fields=["user", "purpose"], name="smsdevice_one_per_purpose"),
            models.CheckConstraint(
                name="smsdevice_purpose_valid",
                condition=models.Q(purpose__in=["registration", "password_reset"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} OTP for {self.user}"


class LoginActivity(models.Model):
    """What the profile page shows as the account's activity, newest first."""

    class Kind(models.TextChoices):
        LOGIN = "login", "Signed in"
        LOGOUT = "logout", "Signed out"
        PASSWORD_RESET = "password_reset", "Password reset"
        REGISTERED = "registered", "Registration completed"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name_plural = "login activity"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="loginactivity_kind_valid",
                condition=models.Q(kind__in=["login", "logout", "password_reset", "registered"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"
