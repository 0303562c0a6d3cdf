"""Writes for accounts: registration, one-time codes, password reset, officers, IEC import.

Every email and SMS goes through accounts.notifications (sent after commit). Codes and tokens
are never logged; log lines name the IEC or username only.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import ratelimits
from reference.models import AgencyOffice

from .models import (
    IEC_RE,
    Agent,
    AgentStaff,
    ExporterProfile,
    FirmMember,
    FirmRole,
    IECRecord,
    LoginActivity,
    OfficerProfile,
    SMSDevice,
    User,
    iec_validator,
    mobile_validator,
    normalise_iec,
    normalise_mobile,
)
from .notifications import email_send, sms_send
from .tokens import email_verification_token, password_reset_token, registration_attempt

logger = logging.getLogger("accounts.security")

OTP_VALID_SECONDS = 10 * 60
OTP_MAX_FAILURES = 5
OTP_RESEND_SECONDS = 60
OTP_SENDS_PER_HOUR = 5


class AccountError(Exception):
    """A refusal the page shows as it is."""


class RegistrationRestartRefusedError(AccountError):
    """The IEC's registration in progress was voided REGISTRATION_RESTARTS_PER_DAY times
    today already."""


def masked_mobile(number: str) -> str:
    return f"******{number[-4:]}" if len(number) >= 4 else "******"


def _uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


# ---------------------------------------------------------------------------------------------
# One-time codes by SMS
# ---------------------------------------------------------------------------------------------


class OTPResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LAST_TRY_FAILED = "last_try_failed"
    TOO_MANY_TRIES = "too_many_tries"
    EXPIRED = "expired"


def _device_for(*, user: User, purpose: str) -> SMSDevice:
    device, _ = SMSDevice.objects.select_for_update().get_or_create(
        user=user,
        purpose=purpose,
        defaults={"name": f"{purpose} SMS", "number": user.mobile, "confirmed": True},
    )
    return device  # type: ignore[no-any-return]  # django-otp is untyped: its manager gives Any


@dataclass(frozen=True)
class OTPSent:
    """A code handed to the SMS gateway: the device that holds it, and the outbox row that
    carries the SMS (its delivery record), the number and the time it was sent to."""

    device: SMSDevice
    outbox_id: int
    number: str
    at: datetime


@transaction.atomic
def otp_send(*, user: User, purpose: str, template: str, restart: bool = False) -> SMSDevice:
    """Send a fresh 6-digit code to the user's mobile (otp_issue), returning its device."""
    return otp_issue(user=user, purpose=purpose, template=template, restart=restart).device


@transaction.atomic
def otp_issue(
    *,
    user: User,
    purpose: str,
    template: str,
    restart: bool = False,
    context: dict[str, Any] | None = None,
    per_hour: int = OTP_SENDS_PER_HOUR,
) -> OTPSent:
    """Send a fresh 6-digit code to the user's mobile, if the resend limits allow it.
    `context` adds to the SMS template's (which always has `code` and `minutes`).

    Raises AccountError when asked again within OTP_RESEND_SECONDS (unless `restart`: a new
    registration attempt, which has voided the old code and cost a CAPTCHA, or a caller that
    keeps its own wait, as the declaration does per application), or more than `per_hour`
    times within an hour. A new code replaces the old one and clears the count of wrong
    tries.
    """
    device = _device_for(user=user, purpose=purpose)
    now = timezone.now()
    if (
        not restart
        and device.last_sent_at
        and now - device.last_sent_at < timedelta(seconds=OTP_RESEND_SECONDS)
    ):
        wait = OTP_RESEND_SECONDS - int((now - device.last_sent_at).total_seconds())
        raise AccountError(
            gettext(
                "A code was sent less than a minute ago. You can ask for a new one in "
                "%(seconds)s seconds."
            )
            % {"seconds": wait}
        )
    if device.send_window_started_at is None or now - device.send_window_started_at >= timedelta(
        hours=1
    ):
        device.send_window_started_at, device.sends_in_window = now, 0
    if device.sends_in_window >= per_hour:
        again = timezone.localtime(device.send_window_started_at + timedelta(hours=1))
        raise AccountError(
            gettext(
                "You can ask for at most %(count)s codes an hour. You can ask again after %(time)s."
            )
            % {"count": per_hour, "time": f"{again:%H:%M}"}
        )
    device.number = user.mobile
    device.generate_token(length=6, valid_secs=OTP_VALID_SECONDS, commit=False)
    device.failed_attempts = 0
    device.last_sent_at = now
    device.sends_in_window += 1
    device.save()
    message = sms_send(
        to=user.mobile,
        template=template,
        context={**(context or {}), "code": device.token, "minutes": OTP_VALID_SECONDS // 60},
    )
    logger.info("otp sent: %s for %s to %s", purpose, user.username, masked_mobile(user.mobile))
    return OTPSent(device=device, outbox_id=message.pk, number=user.mobile, at=now)


@transaction.atomic
def otp_verify(*, user: User, purpose: str, code: str) -> OTPResult:
    """Check a code. A right code is used up; five wrong ones use the code up too."""
    device = _device_for(user=user, purpose=purpose)
    now = timezone.now()
    if device.failed_attempts >= OTP_MAX_FAILURES:
        return OTPResult.TOO_MANY_TRIES
    if not device.token or now >= device.valid_until:
        return OTPResult.EXPIRED
    if constant_time_compare(device.token, (code or "").strip()):
        device.token, device.valid_until, device.failed_attempts = None, now, 0
        device.save(update_fields=["token", "valid_until", "failed_attempts"])
        return OTPResult.OK
    device.failed_attempts += 1
    if device.failed_attempts >= OTP_MAX_FAILURES:
        device.token = None
    device.save(update_fields=["failed_attempts", "token"])
    logger.warning(
        "otp wrong: %s for %s (%s of %s)",
        purpose,
        user.username,
        device.failed_attempts,
        OTP_MAX_FAILURES,
    )
    return (
        OTPResult.LAST_TRY_FAILED if device.failed_attempts >= OTP_MAX_FAILURES else OTPResult.WRONG
    )


def otp_message(result: OTPResult) -> str:
    return {
        OTPResult.WRONG: "The code is not right. Check the SMS and try again.",
        OTPResult.LAST_TRY_FAILED: (
            "The code is not right, and that was the last try. Ask for a new code."
        ),
        OTPResult.TOO_MANY_TRIES: "You have entered a wrong code 5 times. Ask for a new code.",
        OTPResult.EXPIRED: "The code has expired: codes last 10 minutes. Ask for a new code.",
    }.get(result, "")


# ---------------------------------------------------------------------------------------------
# Exporter registration
# ---------------------------------------------------------------------------------------------


def registration_request_match(*, iec: str, email: str, mobile: str) -> User | None:
    """Start registration if the IEC is active, unregistered, and the email and mobile are the
    ones in its registry record; otherwise do nothing. Run by a task (accounts.enquiries), so
    the visitor's answer is the same whatever the registry says."""
    record = (
        IECRecord.objects.filter(iec=normalise_iec(iec), status=IECRecord.Status.ACTIVE)
        .select_related("profile")
        .first()
    )
    matches = (
        record is not None
        and email.strip().lower() == record.email.lower()
        and normalise_mobile(mobile) == record.mobile
    )
    if not matches:
        logger.info("registration asked with details that do not match the registry")
        return None
    assert record is not None  # noqa: S101 - matches implies a record
    profile = getattr(record, "profile", None)
    if profile is not None and profile.registration_completed_at:
        logger.info("registration asked for %s, which is already registered", record.iec)
        return None
    try:
        return registration_start(iec_record=record)
    except RegistrationRestartRefusedError:
        logger.warning(
            "registration asked again for %s: its registration in progress was voided "
            "REGISTRATION_RESTARTS_PER_DAY times today, so it is kept",
            record.iec,
        )
        return None
    except AccountError:
        logger.warning("registration asked for %s, which is not an exporter's", record.iec)
        return None


@transaction.atomic
def registration_start(*, iec_record: IECRecord) -> User:
    """Create (or restart) the exporter's account for an active, unregistered IEC and send the
    email link and the mobile code. Contact details come from the registry, never the form.

    A restart ends the earlier attempt: its link dies with the new unusable password, its SMS
    code is cleared, and any browser holding its proofs holds nothing (tokens.registration_attempt).
    Since the form asks only for what is printed on invoices (IEC, email, mobile), anyone could
    keep voiding an owner's attempt: an IEC's attempt is voided at most
    REGISTRATION_RESTARTS_PER_DAY times a day (the `registration-restart` policy; past it,
    RegistrationRestartRefusedError and the attempt in progress stays), and each time the owner
    is told by email that the earlier link no longer works.
    """
    user, created = User.objects.select_for_update().get_or_create(
        username=iec_record.iec, defaults={"role": User.Role.EXPORTER}
    )
    if user.role != User.Role.EXPORTER:
        raise AccountError("This IEC cannot be registered here. Contact support.")
    if not created:
        policy = ratelimits.REGISTRATION_RESTART
        limit, _ = policy.limit_and_period()
        if ratelimits.hits(policy.name, key=iec_record.iec) >= limit:
            raise RegistrationRestartRefusedError(
                "This IEC's registration was started again too many times today. "
                "Try again tomorrow, or contact support."
            )
        ratelimits.hits(policy.name, key=iec_record.iec, increment=True)
        email_send(
            to=iec_record.email,
            template="registration_replaced",
            context={"iec": iec_record.iec, "firm_name": iec_record.firm_name},
        )
    user.email = iec_record.email
    user.mobile = iec_record.mobile
    user.first_name = iec_record.firm_name[:150]
    user.set_unusable_password()  # a new random value: the new attempt's fingerprint
    user.save()
    profile, _ = ExporterProfile.objects.get_or_create(
        user=user, defaults={"iec_record": iec_record}
    )
    profile.email_verified_at = profile.mobile_verified_at = None
    profile.save()
    SMSDevice.objects.filter(user=user, purpose=SMSDevice.Purpose.REGISTRATION).update(token=None)
    token = email_verification_token.make_token(user)
    link = _absolute(reverse("accounts:verify-email", args=[_uid(user), token]))
    email_send(
        to=user.email,
        template="registration_verify",
        context={"link": link, "iec": user.username, "firm_name": iec_record.firm_name},
    )
    # Beyond the hourly limit no new code goes out; the code page offers to send one later.
    with contextlib.suppress(AccountError):
        otp_send(
            user=user,
            purpose=SMSDevice.Purpose.REGISTRATION,
            template="registration_otp",
            restart=True,
        )
    logger.info("registration started for %s", user.username)
    return user


@transaction.atomic
def registration_verify_email(*, user: User) -> None:
    profile = user.exporter_profile
    if profile.email_verified_at is None:
        profile.email_verified_at = timezone.now()
        profile.save(update_fields=["email_verified_at", "updated_at"])


@transaction.atomic
def registration_verify_mobile(*, user: User, code: str) -> OTPResult:
    result = otp_verify(user=user, purpose=SMSDevice.Purpose.REGISTRATION, code=code)
    if result is OTPResult.OK:
        profile = user.exporter_profile
        profile.mobile_verified_at = timezone.now()
        profile.save(update_fields=["mobile_verified_at", "updated_at"])
    return result


def password_validate(*, user: User, password: str) -> None:
    """Django's validators (similarity to IEC and firm name included); raises ValidationError."""
    firm = user.exporter_profile.firm_name.lower() if hasattr(user, "exporter_profile") else ""
    if firm and any(word in password.lower() for word in firm.split() if len(word) >= 4):
        raise ValidationError("The password is too similar to the firm name.")
    validate_password(password, user)


@transaction.atomic
def registration_complete(
    *, user: User, attempt: str, password: str, ip: str | None = None
) -> None:
    """Set the password of the attempt `attempt` (the fingerprint the browser's proofs carry).

    The account row is locked, so an attempt restarted meanwhile refuses this one.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    profile = ExporterProfile.objects.select_for_update().get(user=user)
    if not constant_time_compare(registration_attempt(user), attempt):
        raise AccountError("This registration was started again. Use the newest email link.")
    if not (profile.email_verified_at and profile.mobile_verified_at):
        raise AccountError("Verify your email and mobile number first.")
    if profile.registration_completed_at:
        raise AccountError("This IEC is already registered.")
    user.set_password(password)
    user.is_active = True
    user.save()
    profile.registration_completed_at = timezone.now()
    profile.save(update_fields=["registration_completed_at", "updated_at"])
    # The person who registers the IEC is its firm's first administrator.
    FirmMember.objects.get_or_create(
        user=user, defaults={"firm_id": profile.iec_record_id, "role": FirmRole.ADMINISTRATOR}
    )
    activity_record(user=user, kind=LoginActivity.Kind.REGISTERED, ip=ip)
    email_send(
        to=user.email,
        template="registration_complete",
        context={
            "iec": user.username,
            "firm_name": profile.firm_name,
            "login_url": _absolute(reverse("accounts:login")),
        },
    )
    logger.info("registration completed for %s", user.username)


# ---------------------------------------------------------------------------------------------
# Password reset
# ---------------------------------------------------------------------------------------------


def sign_in_username(identifier: str) -> str:
    """The account a sign-in names: an IEC or a username as typed; an email (with an @) the
    username of the one firm member or agent's staff who has it, else the email itself (the
    attempt then fails, and is counted, like a wrong password for an unknown name)."""
    if "@" not in identifier:
        return identifier
    usernames = list(
        User.objects.filter(
            email__iexact=identifier,
            role__in=[User.Role.EXPORTER, User.Role.AGENT],
            is_active=True,  # a removed member's old account does not share the address
        ).values_list("username", flat=True)[:2]
    )
    return usernames[0] if len(usernames) == 1 else identifier


def reset_account(identifier: str) -> User | None:
    """The account a password reset names, as sign-in names it (an IEC, a username or an
    email): a current member of a firm (the registrant included), or a registered agent's
    staff; None otherwise."""
    username = sign_in_username(identifier.strip())
    if IEC_RE.match(normalise_iec(username)):
        username = normalise_iec(username)
    user = (
        User.objects.filter(
            username=username, role__in=[User.Role.EXPORTER, User.Role.AGENT], is_active=True
        )
        .select_related("exporter_profile__iec_record")
        .first()
    )
    if user is None:
        return None
    if user.is_agent:
        staff = AgentStaff.objects.filter(
            user=user,
            removed_at__isnull=True,
            registration_completed_at__isnull=False,
            agent__status=Agent.Status.ACTIVE,
        )
        return user if staff.exists() else None
    member = (
        FirmMember.objects.select_related("firm").filter(user=user, removed_at__isnull=True).first()
    )
    return user if member is not None else None


def account_label(user: User) -> str:
    """How emails name the account: its IEC for the registrant, else the username."""
    if IEC_RE.match(user.username) and hasattr(user, "exporter_profile"):
        return f"IEC {user.username}"
    return f"username {user.username}"


def _firm_name(user: User) -> str:
    member = FirmMember.objects.select_related("firm").filter(user=user).first()
    if member is not None:
        return member.firm.firm_name
    staff = AgentStaff.objects.select_related("agent").filter(user=user).first()
    if staff is not None:
        return staff.agent.name
    return user.get_full_name() or user.username


@transaction.atomic
def password_reset_send(*, iec: str) -> None:
    """Email a one-hour link to the account `iec` names (an IEC, a username or an email) if it
    is a current member of a firm; do nothing otherwise. Run by a task (accounts.enquiries),
    so the visitor's answer takes the same time either way."""
    user = reset_account(iec)
    if user is None:
        logger.info("password reset asked for no current member")
        return
    token = password_reset_token.make_token(user)
    link = _absolute(reverse("accounts:password-reset-confirm", args=[_uid(user), token]))
    email_send(
        to=user.email,
        template="password_reset",
        context={
            "link": link,
            "iec": user.username,
            "account": account_label(user),
            "firm_name": _firm_name(user),
            "name": user.get_full_name() or _firm_name(user),
        },
    )
    logger.info("password reset link sent for %s", user.username)


@transaction.atomic
def password_reset_complete(
    *, user: User, code: str, password: str, ip: str | None = None
) -> OTPResult:
    """Needs the mobile code as well as the link. Changing the password ends every session of
    the user (Django checks the session's password hash) and lifts any lock on the IEC."""
    result = otp_verify(user=user, purpose=SMSDevice.Purpose.PASSWORD_RESET, code=code)
    if result is not OTPResult.OK:
        return result
    user.set_password(password)
    user.save(update_fields=["password"])
    # Axes keeps the username as accounts.lockout.username_from_request writes it: upper case
    # (a member's username is lower case).
    axes_reset(username=user.username.upper())
    activity_record(user=user, kind=LoginActivity.Kind.PASSWORD_RESET, ip=ip)
    email_send(
        to=user.email,
        template="password_changed",
        context={
            "iec": user.username,
            "account": account_label(user),
            "when": timezone.localtime(),
            "reset_url": _absolute(reverse("accounts:password-reset")),
        },
    )
    logger.info("password reset completed for %s", user.username)
    return result


# ---------------------------------------------------------------------------------------------
# Activity
# ---------------------------------------------------------------------------------------------


def activity_record(
    *, user: User, kind: str, ip: str | None = None, user_agent: str = ""
) -> LoginActivity:
    return LoginActivity.objects.create(
        user=user, kind=kind, at=timezone.now(), ip_address=ip or None, user_agent=user_agent[:255]
    )


# ---------------------------------------------------------------------------------------------
# Officers
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def officer_create(
    *,
    username: str,
    email: str,
    password: str,
    agency_code: str,
    office_code: str,
    role: str = User.Role.OFFICER,
    first_name: str = "",
    last_name: str = "",
    totp_key: str | None = None,
) -> tuple[User, TOTPDevice]:
    office = (
        AgencyOffice.objects.select_related("agency")
        .filter(agency__code=agency_code.upper(), code=office_code.upper())
        .first()
    )
    if office is None:
        raise AccountError(f"No office {office_code} of agency {agency_code}.")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"The username {username} is taken.")
    user = User(
        username=username,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == User.Role.AGENCY_ADMIN,
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    OfficerProfile.objects.create(user=user, agency=office.agency, office=office)
    device_kwargs = {"key": totp_key} if totp_key else {}
    device = TOTPDevice.objects.create(
        user=user, name="Authenticator app", confirmed=True, **device_kwargs
    )
    logger.info("officer %s created at %s", username, office)
    return user, device


# ---------------------------------------------------------------------------------------------
# IEC registry import
# ---------------------------------------------------------------------------------------------

IEC_HEADER = ["iec", "firm_name", "address", "pan", "email", "mobile", "status"]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _iec_row_errors(row: dict[str, str]) -> list[str]:
    from django.core.validators import validate_email

    errors = []
    checks: list[tuple[str, Callable[[str], None]]] = [
        ("iec", iec_validator),
        ("email", validate_email),
        ("mobile", mobile_validator),
    ]
    for name, validator in checks:
        try:
            validator(row[name])
        except ValidationError as exc:
            errors.append(f"{name}: {' '.join(exc.messages)}")
    if not row["firm_name"]:
        errors.append("firm_name: required")
    if not row["address"]:
        errors.append("address: required")
    if row["status"] not in IECRecord.Status.values:
        errors.append(f"status: must be one of {', '.join(IECRecord.Status.values)}")
    return errors


@transaction.atomic
def iec_records_import(*, text: str) -> ImportResult:
    """Load the registry from CSV text. Any bad row means nothing is imported."""
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != IEC_HEADER:
        result.errors.append(f"line 1: the header must be exactly {','.join(IEC_HEADER)}")
        return result
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        if None in raw or any(value is None for value in raw.values()):
            result.errors.append(f"line {line}: expected {len(IEC_HEADER)} columns")
            continue
        row = {key: (value or "").strip() for key, value in raw.items()}
        row["iec"] = normalise_iec(row["iec"])
        row["pan"] = row["pan"].upper()
        row["mobile"] = normalise_mobile(row["mobile"])
        row["status"] = row["status"].lower()
        errors = _iec_row_errors(row)
        if row["iec"] in seen:
            errors.append("iec: appears twice in the file")
        seen.add(row["iec"])
        result.errors += [f"line {line}: {error}" for error in errors]
        rows.append(row)
    if result.errors:
        return result
    for row in rows:
        _, created = IECRecord.objects.update_or_create(
            iec=row["iec"], defaults={k: v for k, v in row.items() if k != "iec"}
        )
        result.created += created
        result.updated += not created
    return result


# ---------------------------------------------------------------------------------------------
# Officers' authenticators (agency administration)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def officer_authenticator_replace(*, officer: User, actor: User) -> TOTPDevice:
    """Give an officer a new authenticator (TOTP) key, removing every earlier device.

    The caller shows the returned device's key (QR code) once, to be scanned there and then;
    nothing stores or shows it again. Whoever had the old key can no longer sign in with it.
    """
    if not officer.is_officer:
        raise AccountError("Only officers have an authenticator here.")
    TOTPDevice.objects.filter(user=officer).delete()
    device = TOTPDevice.objects.create(user=officer, name="Authenticator app", confirmed=True)
    logger.info("authenticator of %s replaced by %s", officer.username, actor.username)
    return device


# ---------------------------------------------------------------------------------------------
# The platform administrator (the operator's first account)
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def platform_admin_create(*, username: str, email: str, password: str) -> tuple[User, TOTPDevice]:
    """A superuser of the operator (role OPERATOR) with a confirmed TOTP device: the admin asks
    for the second factor like an officer's sign-in."""
    if User.objects.filter(username=username).exists():
        raise AccountError(f"The username {username} is taken.")
    user = User(
        username=username, email=email, role=User.Role.OPERATOR, is_staff=True, is_superuser=True
    )
    validate_password(password, user)
    user.set_password(password)
    user.save()
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    logger.info("platform administrator %s created", username)
    return user, device
