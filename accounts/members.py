"""A firm's people: invitations, roles and removal (the writes; accounts.firms says what each
role may do).

An administrator invites a person by email: a random single-use token (only its SHA-256 is
stored) in a link that lasts INVITATION_DAYS. The invitee opens it, chooses a username and a
password and gives a mobile number; the account is then created inactive (so the SMS code has
a device to belong to) and becomes a member only when the code is right. Until then it is a
"pending invitee": an InvitationAttempt of its own. A link may reach more than one person (a
forwarded email): each holder's attempt is separate, nobody can change another's answers, and
the invitation is claimed once, by the first whose code is right (a conditional update under
the invitation's row lock); the others are refused and their half-made accounts go. The
inviting administrator is told who joined and with which mobile (masked), so that a stranger
who joined with a forwarded link is seen. A cancelled invitation, or a newer one to the same
address, discards the pending accounts.

The firm always keeps an administrator: every change of role or removal locks the firm's row
(IECRecord) first, so two administrators demoting each other at once run one after the other
and the second is refused.

Removing a member deactivates the account and gives it an unusable password: Django's session
check (the session's password hash) and the inactive flag both refuse the member's open
sessions on their next request, as a password reset does (accounts.services).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from . import firms
from .models import (
    IEC_RE,
    Agent,
    AgentStaff,
    FirmInvitation,
    FirmMember,
    FirmRole,
    IECRecord,
    InvitationAttempt,
    LoginActivity,
    SMSDevice,
    User,
    normalise_iec,
    normalise_mobile,
)
from .notifications import email_send, sms_send
from .services import (
    AccountError,
    OTPResult,
    activity_record,
    masked_mobile,
    otp_send,
    otp_verify,
)

logger = logging.getLogger("accounts.security")

INVITATION_DAYS = 7
MANAGE_REFUSAL = "Only an administrator of the firm can manage its people."
LAST_ADMINISTRATOR = (
    "The firm must keep at least one administrator. Make someone else an administrator first."
)


OPEN_INVITATION_REFUSAL = (
    "This email ID already has an invitation that has not been accepted. "
    "Cancel it first to send a new one."
)
EMAIL_TAKEN_REFUSAL = "This email ID already has an account on the portal. Invite another address."


class MemberError(AccountError):
    """A refusal the page shows as it is."""


class InvitationClosedError(MemberError):
    """The invitation was already accepted or cancelled."""


class InvitationClaimedError(MemberError):
    """Another holder of the link joined with it first."""


CLAIMED_REFUSAL = (
    "Someone else has already joined the firm with this invitation: an invitation link can be "
    "used by one person only. If the invitation was meant for you, ask the firm's "
    "administrator to invite you again."
)


@dataclass(frozen=True)
class Invited:
    invitation: FirmInvitation
    link: str  # the only place the token exists outside the email


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _require_manager(actor: User, firm_id: int) -> None:
    if not firms.may(actor, firm_id, firms.Capability.MANAGE):
        raise MemberError(MANAGE_REFUSAL)


def _still_manager(actor: User, firm_id: int) -> None:
    """Under the firm's lock, read the actor's role afresh: another administrator may have
    demoted or removed them after the first check (a request's access is read once)."""
    firms.forget(actor)
    _require_manager(actor, firm_id)


def _lock_firm(firm_id: int) -> IECRecord:
    return IECRecord.objects.select_for_update().get(pk=firm_id)


def email_taken(email: str) -> bool:
    """Whether an account of the portal already has this email (a pending invitee's does not
    count: it is not an account yet)."""
    return User.objects.filter(email__iexact=email.strip(), is_active=True).exists()


def invitations_open(firm_id: int) -> QuerySet[FirmInvitation]:
    """Invitations of the firm that may still be accepted."""
    return FirmInvitation.objects.filter(
        firm_id=firm_id,
        accepted_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def _discard_pending(invitations: QuerySet[FirmInvitation]) -> None:
    """Delete the half-made accounts of invitations that were never accepted."""
    open_ids = list(invitations.filter(accepted_at__isnull=True).values_list("pk", flat=True))
    if not open_ids:
        return
    _discard_attempts(open_ids)
    # An account pending under the earlier scheme (accepted_user before the code was right).
    legacy = list(
        FirmInvitation.objects.filter(pk__in=open_ids, accepted_user__isnull=False).values_list(
            "accepted_user_id", flat=True
        )
    )
    if legacy:
        FirmInvitation.objects.filter(pk__in=open_ids).update(accepted_user=None)
        User.objects.filter(pk__in=legacy, is_active=False, firm_membership__isnull=True).delete()


def _discard_attempts(invitation_ids: list[int], *, keep_user_id: int | None = None) -> None:
    """Delete the inactive accounts of the holders' attempts at these invitations (their
    attempts go with them), but `keep_user_id`'s."""
    users = InvitationAttempt.objects.filter(invitation_id__in=invitation_ids).values_list(
        "user_id", flat=True
    )
    if keep_user_id is not None:
        users = users.exclude(user_id=keep_user_id)
    User.objects.filter(pk__in=list(users), is_active=False, firm_membership__isnull=True).delete()


def attempt_user(invitation: FirmInvitation, user_id: object) -> User | None:
    """The inactive account of this holder's attempt (its id is kept in their session), or
    None if they have not given their details or their attempt is gone."""
    if not isinstance(user_id, int):
        return None
    attempt = (
        InvitationAttempt.objects.select_related("user")
        .filter(invitation=invitation, user_id=user_id, user__is_active=False)
        .first()
    )
    return attempt.user if attempt is not None else None


# ---------------------------------------------------------------------------------------------
# Invitations
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def member_invite(*, actor: User, firm_id: int, email: str, name: str, role: str) -> Invited:
    """Invite `email` to the firm as `role`. Refused unless `actor` administers the firm, and
    when the address already has an account or an open invitation of this firm. Side effect:
    the invitation email (the invitee's mobile is not known yet, so no SMS)."""
    _require_manager(actor, firm_id)
    firm = _lock_firm(firm_id)
    email = email.strip().lower()
    if role not in FirmRole.values:
        raise MemberError("Choose a role.")
    if email_taken(email):
        raise MemberError(EMAIL_TAKEN_REFUSAL)
    if invitation_open_exists(email=email, firm_id=firm_id):
        raise MemberError(OPEN_INVITATION_REFUSAL)
    invited = invitation_create(
        actor=actor,
        email=email,
        name=name,
        role=role,
        firm=firm,
        template="member_invitation",
        context={"firm_name": firm.firm_name, "iec": firm.iec},
    )
    logger.info("invitation %s to %s sent by %s", invited.invitation.pk, firm.iec, actor.username)
    return invited


def invitation_open_exists(
    *, email: str, firm_id: int | None = None, agent_id: int | None = None
) -> bool:
    """Whether this address already has an invitation, not yet accepted, to the firm or the
    agent. Half-made accounts of its earlier invitations that can no longer be accepted go."""
    _discard_pending(
        FirmInvitation.objects.filter(email__iexact=email).filter(
            Q(cancelled_at__isnull=False) | Q(expires_at__lte=timezone.now())
        )
    )
    return (
        FirmInvitation.objects.filter(
            Q(firm_id=firm_id) if firm_id is not None else Q(agent_id=agent_id),
            email__iexact=email,
            accepted_at__isnull=True,
            cancelled_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
    ).exists()


def invitation_create(
    *,
    actor: User,
    email: str,
    name: str,
    role: str,
    template: str,
    context: dict[str, object],
    firm: IECRecord | None = None,
    agent: Agent | None = None,
) -> Invited:
    """The invitation row (its token's digest only) and the email with the link, to a firm
    (`firm`) or an agent's staff (`agent`). The caller has checked who may invite."""
    token = secrets.token_urlsafe(32)
    invitation = FirmInvitation.objects.create(
        firm=firm,
        agent=agent,
        email=email,
        name=name.strip(),
        role=role,
        invited_by=actor,
        token_sha256=token_digest(token),
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    link = _absolute(reverse("accounts:invitation-open", args=[token]))
    email_send(
        to=email,
        template=template,
        context=context
        | {
            "name": invitation.name,
            "role": invitation.role_label,
            "inviter": invitation.inviter_text,
            "role_text": invitation.role_text,
            "link": link,
            "days": INVITATION_DAYS,
            "expires_at": timezone.localtime(invitation.expires_at),
        },
    )
    return Invited(invitation=invitation, link=link)


@transaction.atomic
def invitation_cancel(*, actor: User, invitation_id: int) -> FirmInvitation:
    """Cancel an invitation not yet accepted: its link dies and any half-made account goes.
    Side effect: an email to the invitee. An invitation already accepted or cancelled raises
    InvitationClosedError."""
    invitation = (
        FirmInvitation.objects.select_for_update()
        .filter(pk=invitation_id, firm_id__in=firms.firm_ids_for(actor))
        .first()
    )
    if invitation is None or invitation.firm is None:
        raise MemberError("There is no such invitation.")
    _require_manager(actor, invitation.firm.pk)
    if invitation.accepted_at is not None:
        raise InvitationClosedError(f"{invitation.email} has already accepted the invitation.")
    if invitation.cancelled_at is not None:
        raise InvitationClosedError(f"The invitation to {invitation.email} was already cancelled.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at", "updated_at"])
    firm = invitation.firm
    email_send(
        to=invitation.email,
        template="member_invitation_cancelled",
        context={
            "name": invitation.name,
            "firm_name": firm.firm_name,
            "iec": firm.iec,
            "by": _name(actor),
        },
    )
    _discard_pending(FirmInvitation.objects.filter(pk=invitation.pk))
    logger.info("invitation %s cancelled by %s", invitation.pk, actor.username)
    return invitation


class InvitationState:
    OPEN = "open"
    EXPIRED = "expired"
    USED = "used"  # accepted, or cancelled
    INVALID = "invalid"


def invitation_for_token(token: str) -> tuple[FirmInvitation | None, str]:
    """The invitation a link's token opens, and whether it may still be accepted."""
    if not token or len(token) > 100:
        return None, InvitationState.INVALID
    invitation = (
        FirmInvitation.objects.select_related("firm", "agent", "accepted_user")
        .filter(token_sha256=token_digest(token))
        .first()
    )
    return invitation, invitation_state(invitation)


def invitation_state(invitation: FirmInvitation | None) -> str:
    if invitation is None:
        return InvitationState.INVALID
    if invitation.accepted_at is not None or invitation.cancelled_at is not None:
        return InvitationState.USED
    if invitation.expires_at <= timezone.now():
        return InvitationState.EXPIRED
    return InvitationState.OPEN


def username_validate(username: str) -> str:
    """The username an invitee chooses: Django's characters, no @ (an @ means an email at
    sign-in), nothing an IEC could be (an IEC signs in its registrant), and free."""
    username = username.strip()
    if len(username) < 3:
        raise ValidationError("Choose a username of at least 3 characters.")
    if "@" in username:
        raise ValidationError("A username cannot contain @.")
    UnicodeUsernameValidator()(username)
    if IEC_RE.match(normalise_iec(username)):
        raise ValidationError("A username cannot look like an IEC Code. Choose another.")
    return username


def _open_invitation_locked(invitation_id: int, token_sha256: str) -> FirmInvitation:
    invitation = (
        FirmInvitation.objects.select_for_update()
        .filter(pk=invitation_id, token_sha256=token_sha256)
        .first()
    )
    state = invitation_state(invitation)
    if invitation is not None and invitation.accepted_at is not None:
        raise InvitationClaimedError(CLAIMED_REFUSAL)
    if state == InvitationState.EXPIRED:
        raise MemberError("This invitation has expired. Ask the firm's administrator again.")
    if state != InvitationState.OPEN or invitation is None:
        raise MemberError("This invitation can no longer be used.")
    return invitation


@transaction.atomic
def invitation_accept_start(
    *,
    invitation_id: int,
    token_sha256: str,
    attempt_user_id: int | None = None,
    username: str,
    password: str,
    mobile: str,
) -> User:
    """A link holder's username, password and mobile: their own account is made (inactive),
    as an attempt at the invitation, and a code is sent by SMS to the mobile. Raises
    MemberError, or ValidationError by field ("username", "password1") for a refused username
    or password. The same holder asking again (`attempt_user_id`, from their session: another
    username or number) replaces what they gave; another holder's attempt is never touched."""
    invitation = _open_invitation_locked(invitation_id, token_sha256)
    if email_taken(invitation.email):
        raise MemberError("This email ID already has an account on the portal.")
    try:
        username = username_validate(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from exc
    mobile = normalise_mobile(mobile)
    user = attempt_user(invitation, attempt_user_id)
    others = User.objects.filter(username__iexact=username)
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise ValidationError({"username": ["This username is taken. Choose another."]})
    # Half-made accounts of other invitations to the same address go (one account an email).
    _discard_pending(
        FirmInvitation.objects.filter(email__iexact=invitation.email).exclude(pk=invitation.pk)
    )
    if user is None:
        role = User.Role.AGENT if invitation.agent_id is not None else User.Role.EXPORTER
        user = User(role=role, is_active=False)
    user.username = username
    user.email = invitation.email
    user.first_name = invitation.name[:150]
    user.mobile = mobile
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password1": exc.messages}) from exc
    user.set_password(password)
    user.save()
    InvitationAttempt.objects.get_or_create(invitation=invitation, user=user)
    SMSDevice.objects.filter(user=user, purpose=SMSDevice.Purpose.INVITATION).update(token=None)
    otp_send(
        user=user,
        purpose=SMSDevice.Purpose.INVITATION,
        template="member_invitation_otp",
        restart=True,
    )
    return user


def invitation_code_resend(
    *, invitation_id: int, token_sha256: str, attempt_user_id: int | None
) -> User:
    """A new SMS code for the holder's attempt (the resend limits of
    accounts.services.otp_send)."""
    with transaction.atomic():
        invitation = _open_invitation_locked(invitation_id, token_sha256)
        user = attempt_user(invitation, attempt_user_id)
        if user is None:
            raise MemberError("Give your username, password and mobile number first.")
        otp_send(user=user, purpose=SMSDevice.Purpose.INVITATION, template="member_invitation_otp")
    return user


@transaction.atomic
def invitation_accept(
    *,
    invitation_id: int,
    token_sha256: str,
    attempt_user_id: int | None,
    code: str,
    ip: str | None = None,
) -> OTPResult:
    """A holder's SMS code. When right, the holder claims the invitation, once: the account
    becomes active, the person a member with the invitation's role and a verified mobile, the
    link is dead and every other holder's attempt goes. A holder whose code comes after the
    claim is refused (InvitationClaimedError). Tells the member (email) and whoever invited
    them (email: who joined, with which mobile, masked)."""
    invitation = _open_invitation_locked(invitation_id, token_sha256)
    user = attempt_user(invitation, attempt_user_id)
    if user is None:
        raise MemberError("Give your username, password and mobile number first.")
    result = otp_verify(user=user, purpose=SMSDevice.Purpose.INVITATION, code=code)
    if result is not OTPResult.OK:
        return result
    if email_taken(invitation.email):
        raise MemberError("This email ID already has an account on the portal.")
    now = timezone.now()
    # The claim: one conditional update, so that of two right codes at once (the row lock
    # above aside, on a database without one) only one makes a member.
    claimed = FirmInvitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, cancelled_at__isnull=True
    ).update(accepted_at=now, accepted_user=user, updated_at=now)
    if not claimed:
        raise InvitationClaimedError(CLAIMED_REFUSAL)
    user.is_active = True
    user.save(update_fields=["is_active"])
    if invitation.agent_id is not None:
        context, template = _join_agent(invitation, user, now)
    else:
        context, template = _join_firm(invitation, user, now)
    _discard_attempts([invitation.pk], keep_user_id=user.pk)
    InvitationAttempt.objects.filter(user=user).delete()
    activity_record(user=user, kind=LoginActivity.Kind.REGISTERED, ip=ip)
    context |= {
        "name": _name(user),
        "username": user.username,
        "mobile": masked_mobile(user.mobile),
        "invited_email": invitation.email,
        "role": invitation.role_label,
        "login_url": _absolute(reverse("accounts:login")),
    }
    email_send(to=user.email, template=template, context=context)
    inviter = invitation.invited_by
    if inviter.is_active and inviter.email:
        email_send(to=inviter.email, template=f"{template}_admin", context=context)
    logger.info(
        "invitation %s accepted: %s joined %s",
        invitation.pk,
        user.username,
        invitation.firm_id or f"agent {invitation.agent_id}",
    )
    return result


def _join_firm(
    invitation: FirmInvitation, user: User, now: datetime
) -> tuple[dict[str, object], str]:
    """The claimant becomes a member of the firm; the emails' context and template."""
    firm = _lock_firm(cast(int, invitation.firm_id))  # a firm's invitation
    FirmMember.objects.create(
        firm=firm,
        user=user,
        role=invitation.role,
        invited_by=invitation.invited_by,
        mobile_verified_at=now,
    )
    return {
        "firm_name": firm.firm_name,
        "iec": firm.iec,
        "people_url": _absolute(reverse("accounts:members")),
    }, "member_joined"


def _join_agent(
    invitation: FirmInvitation, user: User, now: datetime
) -> tuple[dict[str, object], str]:
    """The claimant joins the agent's staff: the invitation link proved the email, the code
    the mobile, so the registration is complete (accounts.firms reads it)."""
    agent = Agent.objects.select_for_update().get(pk=cast(int, invitation.agent_id))
    AgentStaff.objects.create(
        agent=agent,
        user=user,
        is_administrator=invitation.role == FirmRole.ADMINISTRATOR,
        email_verified_at=now,
        mobile_verified_at=now,
        registration_completed_at=now,
    )
    return {
        "agent_name": agent.name,
        "licence_number": agent.licence_number,
        "people_url": _absolute(reverse("accounts:agent-staff")),
    }, "agent_staff_joined"


# ---------------------------------------------------------------------------------------------
# Roles and removal
# ---------------------------------------------------------------------------------------------


def member_get(*, actor: User, member_id: int) -> FirmMember:
    """A current member of a firm `actor` administers; MemberError (shown as not found)
    otherwise."""
    member = (
        FirmMember.objects.select_related("user", "firm")
        .filter(pk=member_id, removed_at__isnull=True, firm_id__in=firms.firm_ids_for(actor))
        .first()
    )
    if member is None:
        raise MemberError("There is no such member.")
    _require_manager(actor, member.firm_id)
    return member


def _other_administrators(member: FirmMember) -> bool:
    return (
        FirmMember.objects.filter(
            firm_id=member.firm_id, role=FirmRole.ADMINISTRATOR, removed_at__isnull=True
        )
        .exclude(pk=member.pk)
        .filter(Q(user__is_active=True))
        .exists()
    )


@transaction.atomic
def member_role_change(*, actor: User, member_id: int, role: str) -> FirmMember:
    """Give a member another role. The firm keeps at least one administrator. Side effects:
    an email, and an SMS to the member's verified mobile."""
    member = member_get(actor=actor, member_id=member_id)
    _lock_firm(member.firm_id)
    _still_manager(actor, member.firm_id)
    member = FirmMember.objects.select_related("user", "firm").get(pk=member.pk)
    if member.removed_at is not None:
        raise MemberError("There is no such member.")
    if role not in FirmRole.values:
        raise MemberError("Choose a role.")
    if role == member.role:
        return member
    if member.role == FirmRole.ADMINISTRATOR and not _other_administrators(member):
        raise MemberError(LAST_ADMINISTRATOR)
    before = member.get_role_display()
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    firms.forget(member.user)
    if member.user_id == actor.pk:
        firms.forget(actor)
    context = {
        "name": _name(member.user),
        "firm_name": member.firm.firm_name,
        "iec": member.firm.iec,
        "before": before,
        "role": member.get_role_display(),
        "by": _name(actor),
    }
    email_send(to=member.user.email, template="member_role_changed", context=context)
    mobile = member_verified_mobile(member)
    if mobile:
        sms_send(to=mobile, template="member_role_changed", context=context)
    logger.info(
        "member %s of %s is now %s (by %s)",
        member.user.username,
        member.firm.iec,
        role,
        actor.username,
    )
    return member


@transaction.atomic
def member_remove(*, actor: User, member_id: int) -> FirmMember:
    """Remove a member: the row stays (the audit trail names them), the account is
    deactivated and its password made unusable, so every open session of theirs is refused on
    its next request. The firm keeps at least one administrator. Side effects: an email, and
    an SMS to their verified mobile."""
    member = member_get(actor=actor, member_id=member_id)
    _lock_firm(member.firm_id)
    _still_manager(actor, member.firm_id)
    member = FirmMember.objects.select_related("user", "firm").get(pk=member.pk)
    if member.removed_at is not None:
        raise MemberError("There is no such member.")
    if member.role == FirmRole.ADMINISTRATOR and not _other_administrators(member):
        raise MemberError(LAST_ADMINISTRATOR)
    member.removed_at = timezone.now()
    member.removed_by = actor
    member.save(update_fields=["removed_at", "removed_by", "updated_at"])
    user = account_close(person=member, actor=actor)
    context = {
        "name": _name(user),
        "firm_name": member.firm.firm_name,
        "iec": member.firm.iec,
        "by": _name(actor),
    }
    email_send(to=user.email, template="member_removed", context=context)
    mobile = member_verified_mobile(member)
    if mobile:
        sms_send(to=mobile, template="member_removed", context=context)
    logger.info("member %s removed from %s by %s", user.username, member.firm.iec, actor.username)
    return member


def account_close(*, person: FirmMember | AgentStaff, actor: User) -> User:
    """The removed person's account: deactivated and its password made unusable (the session's
    password hash no longer matches), its sessions ended, and what access_for kept on the
    objects at hand dropped. Call inside the removal's transaction."""
    user = User.objects.select_for_update().get(pk=person.user_id)
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
    for someone in (person.user, user, actor):
        firms.forget(someone)
    sessions_end(user_id=user.pk)
    return user


def sessions_end(*, user_id: int) -> int:
    """Delete the person's sessions from the session table (SESSION_ENGINE is the database).

    The table has no index by user, so the live sessions are read and decoded; they last 30
    minutes idle, so there are few. What this misses (a session written meanwhile) is still
    refused: the account is inactive and its password hash changed."""
    doomed = [
        session.session_key
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(
            chunk_size=500
        )
        if str(session.get_decoded().get(SESSION_KEY)) == str(user_id)
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    return len(doomed)


def member_verified_mobile(member: FirmMember) -> str:
    """The member's mobile, once verified: by the invitation's code, or (the registrant) at
    registration."""
    user = member.user
    if not user.mobile:
        return ""
    if member.mobile_verified_at is not None:
        return user.mobile
    profile = getattr(user, "exporter_profile", None)
    return user.mobile if profile is not None and profile.mobile_verified_at else ""
