from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import SideChannelDevice

from core.models import TimeStampedModel

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
        EXPORTER = "exporter", _("Exporter")
        OFFICER = "officer", _("Officer")
        AGENCY_ADMIN = "agency_admin", _("Agency administrator")
        OPERATOR = "operator", _("Operator")
        AGENT = "agent", _("Agent's staff")
        VERIFIER = "verifier", _("Verifier (customs or bank)")

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.EXPORTER)
    mobile = models.CharField(max_length=13, blank=True, validators=[mobile_validator])
    # The interface language this person chose with the header's switcher ("" = not chosen:
    # the browser's cookie, else English). accounts/language.py applies it on every request.
    language = models.CharField(
        max_length=8,
        blank=True,
        default="",
        db_default="",
        choices=[("en-in", "English"), ("hi", "हिन्दी")],
    )

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_role_valid",
                condition=models.Q(
                    role__in=[
                        "exporter",
                        "officer",
                        "agency_admin",
                        "operator",
                        "agent",
                        "verifier",
                    ]
                ),
            )
        ]

    @property
    def is_exporter(self) -> bool:
        return self.role == self.Role.EXPORTER

    @property
    def is_agent(self) -> bool:
        """Staff of a customs broker or forwarder (accounts.Agent), filing for the firms
        that authorise it."""
        return self.role == self.Role.AGENT

    @property
    def is_officer(self) -> bool:
        """Officers and agency administrators both work the agency's queues."""
        return self.role in {self.Role.OFFICER, self.Role.AGENCY_ADMIN}


class IECRecord(TimeStampedModel):
    """A copy of DGFT's IEC database entry. Not editable by the exporter on this portal."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        CANCELLED = "cancelled", _("Cancelled")

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
    """An officer (or agency administrator) of an issuing agency, posted at one office and
    serving any others of the agency an administrator adds."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="officer_profile")
    agency = models.ForeignKey(
        "reference.IssuingAgency", on_delete=models.PROTECT, related_name="officers"
    )
    office = models.ForeignKey(
        "reference.AgencyOffice", on_delete=models.PROTECT, related_name="officers"
    )
    # Offices of the same agency the officer also serves (their queue and notifications
    # cover these too); `office` is where they are posted.
    other_offices = models.ManyToManyField(
        "reference.AgencyOffice", blank=True, related_name="visiting_officers"
    )
    designation = models.CharField(max_length=100, default="Certifying Officer")
    # Set when an administrator invites the officer or resets their authenticator: their next
    # sign-in, after the password, sets up an authenticator app (accounts.officer_enrol).
    must_enrol = models.BooleanField(default=False, db_default=False)

    class Meta:
        constraints = []

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.agency.code})"


class OfficerEvent(models.Model):
    """The append-only record of what an agency administrator did to an officer's account,
    and of the officer's own enrolment steps (accounts.officers writes it)."""

    class Action(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACCEPTED = "accepted", _("Invitation accepted (password set)")
        ENROLLED = "enrolled", _("Authenticator set up")
        OFFICE_CHANGED = "office_changed", _("Office changed")
        OFFICES_CHANGED = "offices_changed", _("Other offices served changed")
        DEACTIVATED = "deactivated", _("Deactivated")
        REACTIVATED = "reactivated", _("Reactivated")
        AUTHENTICATOR_RESET = "authenticator_reset", _("Authenticator reset")

    officer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="officer_events")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=30, choices=Action.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["officer", "-created_at"], name="officer_event_officer")]

    def __str__(self) -> str:
        return f"{self.officer_id}: {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Officer events are append-only.")
        super().save(*args, **kwargs)


class SMSDevice(SideChannelDevice):
    """A one-time code sent by SMS to a mobile number (django-otp device).

    One device per user and purpose. A code lives 10 minutes and survives at most
    OTP_MAX_FAILURES wrong tries; a new code may be sent after OTP_RESEND_SECONDS, and at
    most OTP_SENDS_PER_HOUR times an hour. The code is stored only until it is used.
    """

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("Registration")
        PASSWORD_RESET = "password_reset", _("Password reset")
        INVITATION = "invitation", _("Accepting an invitation")
        AGENT_REGISTRATION = "agent_registration", _("Agent registration")
        DECLARATION = "declaration", _("Signing a declaration")

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
                condition=models.Q(
                    purpose__in=[
                        "registration",
                        "password_reset",
                        "invitation",
                        "agent_registration",
                        "declaration",
                    ]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} OTP for {self.user}"


class LoginActivity(models.Model):
    """What the profile page shows as the account's activity, newest first."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Signed in")
        LOGOUT = "logout", _("Signed out")
        PASSWORD_RESET = "password_reset", _("Password reset")
        REGISTERED = "registered", _("Registration completed")

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


# ---------------------------------------------------------------------------------------------
# Firms (the IEC holder), their members, and the agents they authorise
# ---------------------------------------------------------------------------------------------


class FirmRole(models.TextChoices):
    """What a member may do for their firm (accounts.firms holds the rules)."""

    ADMINISTRATOR = "administrator", _("Administrator")  # members, agents, wallet, everything
    SIGNATORY = "signatory", _("Signatory")  # a preparer's work, plus declare, pay and submit
    PREPARER = "preparer", _("Preparer")  # drafts and documents; cannot pay or submit


# The roles an agent's invitation may carry: its administrator, or its staff (a signatory's
# powers in every firm that authorises the agent).
AGENT_ROLES = (FirmRole.ADMINISTRATOR.value, FirmRole.SIGNATORY.value)


class FirmMember(TimeStampedModel):
    """A person who works for a firm (the IEC holder). The person who registered the IEC is
    its first administrator. A removed member keeps the row (the audit trail names them) and
    loses the account: `removed_at` is set and the user deactivated, in one transaction."""

    firm = models.ForeignKey(IECRecord, on_delete=models.PROTECT, related_name="members")
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="firm_membership")
    role = models.CharField(max_length=20, choices=FirmRole.choices)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # When the member's own mobile was verified by SMS code (accepting the invitation); the
    # registrant's is on their ExporterProfile.
    mobile_verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["firm", "created_at", "id"]
        indexes = [models.Index(fields=["firm", "removed_at"], name="firmmember_firm_current")]
        constraints = [
            models.CheckConstraint(
                name="firmmember_role_valid",
                condition=models.Q(role__in=["administrator", "signatory", "preparer"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.get_role_display()})"

    @property
    def role_label(self) -> str:
        return str(self.get_role_display())


class FirmInvitation(TimeStampedModel):
    """An administrator's invitation to join the firm, or an agent's staff (`agent` set,
    `firm` empty): a signed, expiring, single-use link to `email`. Only the token's SHA-256
    is stored. An agent's invitation has the role "administrator" (the agent's administrator)
    or "signatory" (its staff, who act with a signatory's powers for the firms that authorise
    the agent, accounts.firms)."""

    firm = models.ForeignKey(
        IECRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="invitations"
    )
    agent = models.ForeignKey(
        "Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField()
    name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=FirmRole.choices)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    token_sha256 = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="invitation"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="firminvitation_role_valid",
                condition=models.Q(role__in=["administrator", "signatory", "preparer"]),
            ),
            models.CheckConstraint(
                name="firminvitation_firm_or_agent",
                condition=models.Q(firm__isnull=False, agent__isnull=True)
                | models.Q(firm__isnull=True, agent__isnull=False, role__in=AGENT_ROLES),
            ),
        ]

    def __str__(self) -> str:
        where = self.firm.iec if self.firm is not None else str(self.agent)
        return f"{self.email} to {where} as {self.get_role_display()}"

    @property
    def inviting_name(self) -> str:
        """The firm's name, or the agent's."""
        if self.firm is not None:
            return self.firm.firm_name
        return self.agent.name if self.agent is not None else ""

    @property
    def inviter_text(self) -> str:
        """Who invites, as the invitee reads it: "Alice Shah, an administrator of Shakti
        Spices LLP"; the firm's own IEC account, named after the firm, is "An administrator
        of Shakti Spices LLP" (never "Shakti Spices LLP invites you to Shakti Spices LLP")."""
        firm = self.inviting_name
        name = (self.invited_by.get_full_name() or self.invited_by.username).strip()
        iec = self.firm.iec if self.firm is not None else None
        if not name or name.casefold() == firm.strip().casefold() or name == iec:
            return f"An administrator of {firm}"
        return f"{name}, an administrator of {firm},"

    @property
    def role_label(self) -> str:
        """The role as the invitee and the administrator read it: an agent's invitation is
        for "Administrator" or "Staff"."""
        if self.agent_id is not None and self.role != FirmRole.ADMINISTRATOR:
            return str(_("Staff"))
        return str(self.get_role_display())

    @property
    def role_text(self) -> str:
        """ "a signatory", "an administrator", "a preparer" ("a member of staff")."""
        if self.agent_id is not None and self.role != FirmRole.ADMINISTRATOR:
            return "a member of staff"
        role = self.get_role_display().lower()
        return f"{'an' if role[0] in 'aeiou' else 'a'} {role}"


class InvitationAttempt(TimeStampedModel):
    """One holder's attempt to accept an invitation: the inactive account made from the
    username, password and mobile that holder gave. Several people may hold the link (a
    forwarded email); each has an attempt of their own, so that no one can change another's
    answers, and the first whose SMS code is right claims the invitation
    (accounts.members.invitation_accept); the others' attempts and accounts then go."""

    invitation = models.ForeignKey(
        FirmInvitation, on_delete=models.CASCADE, related_name="attempts"
    )
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="invitation_attempt")

    def __str__(self) -> str:
        return f"{self.user} for invitation {self.invitation_id}"


class Agent(TimeStampedModel):
    """A customs broker (CHA) or freight forwarder that files applications for the firms
    that authorise it. Contact details are verified like an exporter's."""

    class Kind(models.TextChoices):
        CUSTOMS_BROKER = "customs_broker", _("Customs broker")
        FREIGHT_FORWARDER = "freight_forwarder", _("Freight forwarder")

    class Status(models.TextChoices):
        PENDING = "pending", _("Registration not finished")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")

    name = models.CharField("firm name", max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    licence_number = models.CharField(max_length=30, unique=True)
    pan = models.CharField("PAN", max_length=10)
    email = models.EmailField()
    mobile = models.CharField(max_length=13, validators=[mobile_validator])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                name="agent_kind_valid",
                condition=models.Q(kind__in=["customs_broker", "freight_forwarder"]),
            ),
            models.CheckConstraint(
                name="agent_status_valid",
                condition=models.Q(status__in=["pending", "active", "suspended"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.licence_number})"


class AgentStaff(TimeStampedModel):
    """A person who files for an agent. The one who registered the agent administers it."""

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="staff")
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="agent_staff")
    is_administrator = models.BooleanField(default=False)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    mobile_verified_at = models.DateTimeField(null=True, blank=True)
    registration_completed_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "agent staff"

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} of {self.agent.name}"

    @property
    def role_label(self) -> str:
        """As the agent's pages say it: "Administrator" or "Staff"."""
        return str(_("Administrator") if self.is_administrator else _("Staff"))


class AgentAuthorisation(TimeStampedModel):
    """A firm's authorisation of an agent to file for its IEC, from `valid_from` until
    `valid_until` or until withdrawn, whichever is first."""

    firm = models.ForeignKey(
        IECRecord, on_delete=models.PROTECT, related_name="agent_authorisations"
    )
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="authorisations")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-valid_from", "-id"]
        indexes = [
            models.Index(fields=["agent", "firm"], name="agentauth_agent_firm"),
            models.Index(fields=["firm", "agent"], name="agentauth_firm_agent"),
        ]
        constraints = [
            models.CheckConstraint(
                name="agentauth_period_valid",
                condition=models.Q(valid_until__gt=models.F("valid_from")),
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent.name} for {self.firm.iec}"


class FirmSettings(TimeStampedModel):
    """What a firm's administrators decide for it (its IEC record is DGFT's and stays as it
    came). A firm without a row has every default."""

    firm = models.OneToOneField(IECRecord, on_delete=models.CASCADE, related_name="settings")
    # Off by default: an agent's staff pays fees by card unless the firm lets them spend its
    # prepaid balance (accounts.firms.may_pay_from_wallet).
    agents_pay_from_wallet = models.BooleanField(
        "authorised agents may pay fees from the firm's wallet", default=False, db_default=False
    )

    class Meta:
        verbose_name = "firm settings"
        verbose_name_plural = "firm settings"

    def __str__(self) -> str:
        return f"settings of {self.firm_id}"


class ApiToken(TimeStampedModel):
    """A person's key to the filing API (api/): it acts as that person, within its scopes,
    and never beyond what the person may do at the moment of each call (accounts.firms).
    Only a SHA-256 of the secret is kept: the secret is shown once, when it is created."""

    class Scope(models.TextChoices):
        READ = "read", _("Read")
        DRAFT = "draft", _("Draft")
        SUBMIT = "submit", _("Submit")
        # A verifier organisation's person reading its verification requests (verification/).
        VERIFICATION = "verification", _("Verification requests")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)  # shown in lists: "coo_1a2b3c4d"
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix} ({self.name})"
