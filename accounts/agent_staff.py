"""An agent's staff: its administrator invites colleagues, changes who administers, removes
them (the writes; the pages are accounts.agent_staff_views).

The invitation is a firm's (accounts.members): a single-use link to the invitee's email, each
holder's attempt apart, claimed once by the first whose SMS code is right, the inviting
administrator told who joined with which mobile. Only the row differs: it names the agent, not
a firm, and the claimant joins the agent's staff (members._join_agent).

Every change locks the agent's row first, so the agent always keeps an administrator (two
administrators demoting each other at once run one after the other). Removing someone ends
their sessions as removing a firm's member does. Every write is in the security log
(accounts.security), and the agent's people list keeps the removed with the date.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import firms
from .members import (
    EMAIL_TAKEN_REFUSAL,
    OPEN_INVITATION_REFUSAL,
    InvitationClosedError,
    Invited,
    MemberError,
    _discard_pending,
    _name,
    account_close,
    email_taken,
    invitation_create,
    invitation_open_exists,
)
from .models import Agent, AgentStaff, FirmInvitation, FirmRole, User
from .notifications import email_send, sms_send

logger = logging.getLogger("accounts.security")

MANAGE_REFUSAL = "Only the agent's administrator can manage its staff."
LAST_ADMINISTRATOR = (
    "The agent must keep at least one administrator. Make someone else an administrator first."
)
NO_SUCH_PERSON = "There is no such person on your staff."


def _agent_of(actor: User) -> int:
    """The agent `actor` administers, read afresh (another administrator may have just
    demoted or removed them); MemberError otherwise."""
    firms.forget(actor)
    agent_id = firms.administered_agent_id(actor)
    if agent_id is None:
        raise MemberError(MANAGE_REFUSAL)
    return agent_id


def _lock_agent(agent_id: int) -> Agent:
    return Agent.objects.select_for_update().get(pk=agent_id)


def staff_current(agent_id: int) -> QuerySet[AgentStaff]:
    """The agent's people who may sign in (registration complete, not removed)."""
    return (
        AgentStaff.objects.filter(
            agent_id=agent_id, removed_at__isnull=True, registration_completed_at__isnull=False
        )
        .select_related("user")
        .order_by("created_at", "pk")
    )


def invitations_pending(agent_id: int) -> QuerySet[FirmInvitation]:
    return (
        FirmInvitation.objects.filter(
            agent_id=agent_id, accepted_at__isnull=True, cancelled_at__isnull=True
        )
        .select_related("invited_by", "agent")
        .order_by("-created_at", "-pk")
    )


def staff_get(*, actor: User, staff_id: int) -> AgentStaff:
    """A current person of the agent `actor` administers; MemberError (shown as not found)
    for anyone else's, so an agent's pages never reveal another agent's people."""
    agent_id = _agent_of(actor)
    staff = staff_current(agent_id).filter(pk=staff_id).select_related("agent").first()
    if staff is None:
        raise MemberError(NO_SUCH_PERSON)
    return staff


@transaction.atomic
def agent_staff_invite(*, actor: User, email: str, name: str, administrator: bool) -> Invited:
    """Invite `email` to the staff of the agent `actor` administers (as an administrator, or
    as staff). Refused when the address has an account or an open invitation of this agent.
    Side effect: the invitation email."""
    agent = _lock_agent(_agent_of(actor))
    email = email.strip().lower()
    if email_taken(email):
        raise MemberError(EMAIL_TAKEN_REFUSAL)
    if invitation_open_exists(email=email, agent_id=agent.pk):
        raise MemberError(OPEN_INVITATION_REFUSAL)
    invited = invitation_create(
        actor=actor,
        email=email,
        name=name,
        role=FirmRole.ADMINISTRATOR if administrator else FirmRole.SIGNATORY,
        agent=agent,
        template="agent_staff_invitation",
        context={"agent_name": agent.name, "licence_number": agent.licence_number},
    )
    logger.info(
        "invitation %s to agent %s sent by %s",
        invited.invitation.pk,
        agent.licence_number,
        actor.username,
    )
    return invited


@transaction.atomic
def agent_staff_invitation_cancel(*, actor: User, invitation_id: int) -> FirmInvitation:
    """Cancel an invitation of the actor's agent not yet accepted: its link dies and any
    half-made account goes. Side effect: an email to the invitee."""
    agent = _lock_agent(_agent_of(actor))
    invitation = (
        FirmInvitation.objects.select_for_update()
        .filter(pk=invitation_id, agent_id=agent.pk)
        .first()
    )
    if invitation is None:
        raise MemberError("There is no such invitation.")
    if invitation.accepted_at is not None:
        raise InvitationClosedError(f"{invitation.email} has already accepted the invitation.")
    if invitation.cancelled_at is not None:
        raise InvitationClosedError(f"The invitation to {invitation.email} was already cancelled.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at", "updated_at"])
    email_send(
        to=invitation.email,
        template="agent_staff_invitation_cancelled",
        context={"name": invitation.name, "agent_name": agent.name, "by": _name(actor)},
    )
    _discard_pending(FirmInvitation.objects.filter(pk=invitation.pk))
    logger.info("agent invitation %s cancelled by %s", invitation.pk, actor.username)
    return invitation


def _other_administrators(staff: AgentStaff) -> bool:
    return (
        staff_current(staff.agent_id)
        .filter(is_administrator=True, user__is_active=True)
        .exclude(pk=staff.pk)
        .exists()
    )


@transaction.atomic
def agent_staff_role_change(*, actor: User, staff_id: int, administrator: bool) -> AgentStaff:
    """Make a person of the agent its administrator, or staff only. The agent keeps at least
    one administrator. Side effects: an email, and an SMS to their verified mobile."""
    agent = _lock_agent(_agent_of(actor))
    staff = staff_get(actor=actor, staff_id=staff_id)
    if staff.is_administrator == administrator:
        return staff
    if staff.is_administrator and not _other_administrators(staff):
        raise MemberError(LAST_ADMINISTRATOR)
    staff.is_administrator = administrator
    staff.save(update_fields=["is_administrator", "updated_at"])
    firms.forget(staff.user)
    if staff.user_id == actor.pk:
        firms.forget(actor)
    context = {
        "name": _name(staff.user),
        "agent_name": agent.name,
        "role": staff_role_label(staff),
        "by": _name(actor),
    }
    email_send(to=staff.user.email, template="agent_staff_role_changed", context=context)
    if staff.user.mobile:
        sms_send(to=staff.user.mobile, template="agent_staff_role_changed", context=context)
    logger.info(
        "agent %s: %s is now %s (by %s)",
        agent.licence_number,
        staff.user.username,
        "administrator" if administrator else "staff",
        actor.username,
    )
    return staff


@transaction.atomic
def agent_staff_remove(*, actor: User, staff_id: int) -> AgentStaff:
    """Remove a person from the agent's staff: the row stays (applications name who filed),
    the account is deactivated and its password made unusable, and their sessions end. The
    agent keeps at least one administrator. Side effects: an email, and an SMS."""
    agent = _lock_agent(_agent_of(actor))
    staff = staff_get(actor=actor, staff_id=staff_id)
    if staff.is_administrator and not _other_administrators(staff):
        raise MemberError(LAST_ADMINISTRATOR)
    staff.removed_at = timezone.now()
    staff.save(update_fields=["removed_at", "updated_at"])
    user = account_close(person=staff, actor=actor)
    context = {"name": _name(user), "agent_name": agent.name, "by": _name(actor)}
    email_send(to=user.email, template="agent_staff_removed", context=context)
    if user.mobile:
        sms_send(to=user.mobile, template="agent_staff_removed", context=context)
    logger.info("agent %s: %s removed by %s", agent.licence_number, user.username, actor.username)
    return staff


def staff_role_label(staff: AgentStaff) -> str:
    return "Administrator" if staff.is_administrator else "Staff"


__all__ = ["Invited", "MemberError"]
