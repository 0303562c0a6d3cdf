"""Agents: a customs broker or forwarder registers, and a firm authorises it to file for its IEC.

Registration follows the exporter's (accounts.services): the form's answer is the same
whatever the portal holds (the work is done by a task, accounts.enquiries), the email link and
the SMS code are the proofs, only the browser that presented both may finish, and a new attempt
for the same licence number voids the earlier link, code and proofs (the pending account gets a
fresh unusable password, which tokens.registration_attempt fingerprints). The person who
registers becomes the agent's administrator, signing in with a username they choose.

A firm's administrator authorises an agent, picked by its licence number, for a period of at
most AUTHORISATION_MAX_DAYS, and may withdraw it at any moment; either takes effect at once
(accounts.firms reads the authorisations in force now). Both tell the agent and the firm by
email and SMS.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from . import firms
from .models import (
    IEC_RE,
    Agent,
    AgentAuthorisation,
    AgentStaff,
    FirmMember,
    FirmRole,
    FirmSettings,
    IECRecord,
    SMSDevice,
    User,
    normalise_mobile,
)
from .notifications import email_send, sms_send
from .services import (
    AccountError,
    OTPResult,
    _absolute,
    _uid,
    masked_mobile,
    otp_send,
    otp_verify,
)
from .tokens import _LinkToken, registration_attempt

logger = logging.getLogger("accounts.security")

AUTHORISATION_MAX_DAYS = 366
OTP_TEMPLATE = "agent_registration_otp"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{3,29}$")
PENDING_PREFIX = "~agent-pending-"  # a pending account's username: never typed, never valid


class AgentEmailToken(_LinkToken):
    """24 hours; dies when the email is verified or registration starts again."""

    key_salt = "accounts.agents.AgentEmailToken"

    def timeout(self) -> int:
        return 24 * 60 * 60

    def state(self, user: User) -> str:
        staff = user.agent_staff
        verified = staff.email_verified_at.isoformat() if staff.email_verified_at else ""
        return f"{user.email}{user.password}{verified}"


agent_email_token = AgentEmailToken()


def normalise_licence(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentDetails:
    name: str
    kind: str
    licence_number: str
    pan: str
    email: str
    mobile: str
    person_name: str


def agent_register_request(*, details: AgentDetails) -> User | None:
    """Start (or restart) registration for a licence number not registered yet; for one
    already registered, do nothing. Run by a task, so the visitor's answer is the same."""
    licence = normalise_licence(details.licence_number)
    agent = Agent.objects.filter(licence_number=licence).first()
    if agent is not None and agent.status != Agent.Status.PENDING:
        logger.info("agent registration asked for %s, which is already registered", licence)
        return None
    return agent_register_start(details=details)


@transaction.atomic
def agent_register_start(*, details: AgentDetails) -> User:
    """Create or restart the pending agent and its administrator's account, and send the
    email link and the SMS code. A restart replaces the details and voids the earlier attempt:
    its link (the account's new unusable password), its code, and any browser's proofs."""
    licence = normalise_licence(details.licence_number)
    fields = {
        "name": details.name.strip(),
        "kind": details.kind,
        "pan": details.pan.strip().upper(),
        "email": details.email.strip().lower(),
        "mobile": normalise_mobile(details.mobile),
    }
    agent, created = Agent.objects.select_for_update().get_or_create(
        licence_number=licence, defaults=fields
    )
    if agent.status != Agent.Status.PENDING:
        raise AccountError("This licence number is already registered.")
    if not created:
        for key, value in fields.items():
            setattr(agent, key, value)
        agent.save()
    staff = (
        AgentStaff.objects.select_for_update()
        .select_related("user")
        .filter(agent=agent, is_administrator=True)
        .first()
    )
    if staff is None:
        user = User(username=f"{PENDING_PREFIX}{secrets.token_hex(8)}", role=User.Role.AGENT)
        user.is_active = False
    else:
        user = staff.user
    user.email, user.mobile = agent.email, agent.mobile
    first, _, last = details.person_name.strip().partition(" ")
    user.first_name, user.last_name = first[:150], last[:150]
    user.set_unusable_password()  # a new random value: the new attempt's fingerprint
    user.save()
    if staff is None:
        staff = AgentStaff.objects.create(agent=agent, user=user, is_administrator=True)
    else:
        staff.email_verified_at = staff.mobile_verified_at = None
        staff.save(update_fields=["email_verified_at", "mobile_verified_at", "updated_at"])
    SMSDevice.objects.filter(user=user, purpose=SMSDevice.Purpose.AGENT_REGISTRATION).update(
        token=None
    )
    link = _absolute(
        reverse(
            "accounts:agent-verify-email", args=[_uid(user), agent_email_token.make_token(user)]
        )
    )
    email_send(
        to=user.email,
        template="agent_registration_verify",
        context={"link": link, "agent": agent},
    )
    with contextlib.suppress(AccountError):  # beyond the hourly limit; the code page says so
        otp_send(
            user=user,
            purpose=SMSDevice.Purpose.AGENT_REGISTRATION,
            template=OTP_TEMPLATE,
            restart=True,
        )
    logger.info("agent registration started for %s", licence)
    return user


@transaction.atomic
def agent_register_verify_email(*, user: User) -> None:
    staff = AgentStaff.objects.select_for_update().get(user=user)
    if staff.email_verified_at is None:
        staff.email_verified_at = timezone.now()
        staff.save(update_fields=["email_verified_at", "updated_at"])


@transaction.atomic
def agent_register_verify_mobile(*, user: User, code: str) -> OTPResult:
    result = otp_verify(user=user, purpose=SMSDevice.Purpose.AGENT_REGISTRATION, code=code)
    if result is OTPResult.OK:
        staff = AgentStaff.objects.select_for_update().get(user=user)
        staff.mobile_verified_at = timezone.now()
        staff.save(update_fields=["mobile_verified_at", "updated_at"])
    return result


def username_validate(username: str) -> str:
    """The username an agent's staff signs in with: 4-30 lower-case letters, digits, dots,
    hyphens or underscores, not shaped like an IEC (those belong to firms), not taken."""
    value = (username or "").strip().lower()
    if not USERNAME_RE.match(value):
        raise ValidationError(
            "Choose a username of 4 to 30 characters: letters, digits, dots, hyphens or "
            "underscores, starting with a letter or digit."
        )
    if IEC_RE.match(value.upper()):
        raise ValidationError("A username cannot look like an IEC Code. Choose another.")
    if User.objects.filter(username__iexact=value).exists():
        raise ValidationError("That username is taken. Choose another.")
    return value


@transaction.atomic
def agent_register_complete(*, user: User, attempt: str, username: str, password: str) -> None:
    """Finish the attempt `attempt` (the fingerprint the browser's proofs carry): the
    username and password are set, the agent becomes active and the person its administrator."""
    user = User.objects.select_for_update().get(pk=user.pk)
    staff = AgentStaff.objects.select_for_update().select_related("agent").get(user=user)
    if not constant_time_compare(registration_attempt(user), attempt):
        raise AccountError("This registration was started again. Use the newest email link.")
    if not (staff.email_verified_at and staff.mobile_verified_at):
        raise AccountError("Verify your email and mobile number first.")
    if staff.registration_completed_at:
        raise AccountError("This agent is already registered.")
    user.username = username_validate(username)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.is_active = True
    user.save()
    now = timezone.now()
    staff.registration_completed_at = now
    staff.save(update_fields=["registration_completed_at", "updated_at"])
    agent = staff.agent
    agent.status = Agent.Status.ACTIVE
    agent.save(update_fields=["status", "updated_at"])
    firms.forget(user)
    email_send(
        to=user.email,
        template="agent_registration_complete",
        context={
            "agent": agent,
            "username": user.username,
            "login_url": _absolute(reverse("accounts:login")),
        },
    )
    logger.info("agent registration completed for %s", agent.licence_number)


# ---------------------------------------------------------------------------------------------
# Authorisations
# ---------------------------------------------------------------------------------------------


def period_for(*, start: date, end: date) -> tuple[datetime, datetime]:
    """The authorisation period of the days `start` to `end`, both included (local time):
    from the start of `start` (or now, when that is today) until the end of `end`."""
    now = timezone.now()
    tz = timezone.get_current_timezone()
    begins = timezone.make_aware(datetime.combine(start, time.min), tz)
    ends = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return max(begins, now), ends


def period_problem(*, start: date, end: date) -> str:
    """Why these days cannot be an authorisation's period; "" when they can."""
    today = timezone.localdate()
    if start < today:
        return "The authorisation cannot start in the past."
    if end < start:
        return "The last day must be on or after the first day."
    if (end - start).days + 1 > AUTHORISATION_MAX_DAYS:
        return f"An authorisation lasts at most {AUTHORISATION_MAX_DAYS} days."
    return ""


def agent_for_licence(licence_number: str) -> Agent | None:
    """The registered (active) agent with this licence number."""
    return Agent.objects.filter(
        licence_number=normalise_licence(licence_number), status=Agent.Status.ACTIVE
    ).first()


def _firm_addresses(firm: IECRecord) -> list[str]:
    """The firm's registered email and its administrators' emails, once each."""
    emails = [firm.email.lower()] if firm.email else []
    for email in FirmMember.objects.filter(
        firm=firm, role=FirmRole.ADMINISTRATOR, removed_at__isnull=True
    ).values_list("user__email", flat=True):
        if email and email.lower() not in emails:
            emails.append(email.lower())
    return emails


def _tell(authorisation: AgentAuthorisation, template: str) -> str:
    """Email and SMS to the agent and to the firm about `authorisation`; returns the sentence
    that says what was queued (the page shows it)."""
    agent, firm = authorisation.agent, authorisation.firm
    context = {
        "authorisation": authorisation,
        "agent": agent,
        "firm": firm,
        "valid_from": timezone.localtime(authorisation.valid_from),
        "valid_until": timezone.localtime(authorisation.valid_until),
        "withdrawn_at": timezone.localtime(authorisation.withdrawn_at)
        if authorisation.withdrawn_at
        else None,
    }
    told: list[str] = []
    channels: list[str] = []
    if agent.email:
        email_send(to=agent.email, template=f"{template}_agent", context=context)
        channels.append("email")
    if agent.mobile:
        sms_send(to=agent.mobile, template=f"{template}_agent", context=context)
        channels.append("SMS")
    if channels:
        told.append(f"{agent.name} by {' and '.join(channels)}")
    channels = []
    addresses = _firm_addresses(firm)
    for address in addresses:
        email_send(to=address, template=f"{template}_firm", context=context)
    if addresses:
        channels.append("email")
    if firm.mobile:
        sms_send(to=firm.mobile, template=f"{template}_firm", context=context)
        channels.append("SMS")
    if channels:
        told.append(f"your firm by {' and '.join(channels)}")
    return f"We have told {', and '.join(told)}." if told else "No email or SMS was sent."


@transaction.atomic
def authorisation_grant(
    *, by: User, firm_id: int, licence_number: str, start: date, end: date
) -> AgentAuthorisation:
    """The firm's administrator `by` authorises the agent with this licence number to file
    for the firm's IEC on the days `start` to `end`."""
    if not firms.may(by, firm_id, firms.Capability.MANAGE):
        raise AccountError("Only an administrator of the firm can authorise an agent.")
    agent = agent_for_licence(licence_number)
    if agent is None:
        raise AccountError("No registered agent has this licence number.")
    problem = period_problem(start=start, end=end)
    if problem:
        raise AccountError(problem)
    valid_from, valid_until = period_for(start=start, end=end)
    firm = IECRecord.objects.select_for_update().get(pk=firm_id)  # one grant at a time
    overlapping = AgentAuthorisation.objects.filter(
        firm=firm,
        agent=agent,
        withdrawn_at__isnull=True,
        valid_until__gt=valid_from,
        valid_from__lt=valid_until,
    ).first()
    if overlapping is not None:
        until = timezone.localtime(overlapping.valid_until) - timedelta(seconds=1)
        raise AccountError(
            f"{agent.name} is already authorised for part of this period (until "
            f"{until:%d %b %Y}). Withdraw that authorisation first, or choose later days."
        )
    authorisation = AgentAuthorisation.objects.create(
        firm=firm, agent=agent, valid_from=valid_from, valid_until=valid_until, granted_by=by
    )
    authorisation.told = _tell(authorisation, "agent_authorised")  # type: ignore[attr-defined]  # for the page only
    logger.info("agent %s authorised for %s", agent.licence_number, firm.iec)
    return authorisation


@transaction.atomic
def authorisation_withdraw(*, by: User, authorisation_id: int) -> AgentAuthorisation:
    """End an authorisation now (or cancel one not begun yet). Takes effect at once."""
    authorisation = (
        AgentAuthorisation.objects.select_for_update()
        .select_related("agent", "firm")
        .filter(pk=authorisation_id)
        .first()
    )
    if authorisation is None or not firms.may(by, authorisation.firm_id, firms.Capability.MANAGE):
        raise AccountError("Only an administrator of the firm can withdraw an authorisation.")
    now = timezone.now()
    if authorisation.withdrawn_at is not None:
        raise AccountError("This authorisation has already been withdrawn.")
    if authorisation.valid_until <= now:
        raise AccountError("This authorisation has already ended.")
    authorisation.withdrawn_at, authorisation.withdrawn_by = now, by
    authorisation.save(update_fields=["withdrawn_at", "withdrawn_by", "updated_at"])
    authorisation.told = _tell(authorisation, "agent_withdrawn")  # type: ignore[attr-defined]  # for the page only
    logger.info(
        "agent %s authorisation for %s withdrawn",
        authorisation.agent.licence_number,
        authorisation.firm.iec,
    )
    return authorisation


@transaction.atomic
def firm_agents_pay_from_wallet_set(*, by: User, firm_id: int, allowed: bool) -> FirmSettings:
    """The firm's administrator decides whether its authorised agents may pay fees from its
    wallet (accounts.firms.may_pay_from_wallet). Takes effect at once, for every agent."""
    if not firms.may(by, firm_id, firms.Capability.MANAGE):
        raise AccountError("Only an administrator of the firm can change what its agents may do.")
    settings_row, _ = FirmSettings.objects.select_for_update().get_or_create(firm_id=firm_id)
    settings_row.agents_pay_from_wallet = allowed
    settings_row.save(update_fields=["agents_pay_from_wallet", "updated_at"])
    logger.info("firm %s: agents pay from the wallet %s by %s", firm_id, allowed, by.pk)
    return settings_row


def authorisation_state(authorisation: AgentAuthorisation, now: datetime | None = None) -> str:
    """ "in force", "not begun", "withdrawn" or "ended", for the firm's page."""
    now = now or timezone.now()
    if authorisation.withdrawn_at is not None:
        return "withdrawn"
    if authorisation.valid_until <= now:
        return "ended"
    if authorisation.valid_from > now:
        return "not begun"
    return "in force"


def authorisations_of(firm_id: int) -> list[AgentAuthorisation]:
    """Every authorisation the firm has granted, newest first."""
    return list(
        AgentAuthorisation.objects.filter(firm_id=firm_id).select_related(
            "agent", "granted_by", "withdrawn_by"
        )
    )


__all__ = [
    "AUTHORISATION_MAX_DAYS",
    "AgentDetails",
    "agent_email_token",
    "masked_mobile",
]
