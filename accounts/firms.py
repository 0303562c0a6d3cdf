"""Which firms a person acts for, and what they may do there: the one place for these rules.

A firm is the IEC holder (IECRecord). Its members (FirmMember) have a role; an agent's staff
(AgentStaff) act for every firm whose authorisation of that agent is in force now, with a
signatory's powers there and nothing more. Everybody else (officers, operators, the anonymous)
acts for no firm.

    capability   administrator  signatory  preparer  agent's staff
    view              yes          yes        yes        yes
    draft             yes          yes        yes        yes
    submit            yes          yes        no         yes       (declare, pay, submit,
                                                                   withdraw, reply)
    pay from wallet   yes          yes        no    if the firm allows (FirmSettings)
    wallet            yes          no         no         no        (top up, ledger)
    manage            yes          no         no         no        (members, agents)

An agent's administrator (AgentStaff.is_administrator) also manages the agent's own staff
(accounts.agent_staff); that is about the agent, not about any firm.

Selectors scope every query of a firm's objects by `firm_ids_for(user)`; the workflow's
transitions table asks `may()`. The answer is read once per user object (one query for a
member, one for an agent's staff) and kept on it, so a page asks as often as it likes; a
service that changes someone's access calls `forget(user)` for the object it holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import (
    Agent,
    AgentAuthorisation,
    AgentStaff,
    FirmMember,
    FirmRole,
    FirmSettings,
    IECRecord,
)

AGENT = "agent"  # the role of an agent's staff in every firm that authorises the agent
ACTING_FIRM_SESSION_KEY = "acting_firm_id"  # the agent's staff's chosen IEC
NOT_YOURS = "This application is not yours."
SUBMIT_REFUSAL = (
    "Only a signatory or an administrator of the firm can declare, pay, submit or withdraw."
)


class Capability(StrEnum):
    VIEW = "view"
    DRAFT = "draft"
    SUBMIT = "submit"
    WALLET = "wallet"
    MANAGE = "manage"


CAPABILITIES: Mapping[str, frozenset[Capability]] = {
    FirmRole.ADMINISTRATOR: frozenset(Capability),
    FirmRole.SIGNATORY: frozenset({Capability.VIEW, Capability.DRAFT, Capability.SUBMIT}),
    FirmRole.PREPARER: frozenset({Capability.VIEW, Capability.DRAFT}),
    AGENT: frozenset({Capability.VIEW, Capability.DRAFT, Capability.SUBMIT}),
}


@dataclass(frozen=True)
class Access:
    """What one person may do, firm by firm, at the moment it was read."""

    roles: Mapping[int, str] = field(default_factory=dict)  # firm id -> role
    agent_id: int | None = None  # set for an agent's staff
    agent_administrator: bool = False  # the agent's administrator: manages its staff

    @property
    def firm_ids(self) -> frozenset[int]:
        return frozenset(self.roles)

    @property
    def files(self) -> bool:
        """Files applications: a current member of a firm, or a registered agent's staff
        (with or without an authorisation in force)."""
        return bool(self.roles) or self.agent_id is not None


_NONE = Access()
_MEMO = "_coo_firm_access"


def authorisations_in_force(now: datetime | None = None) -> Q:
    """The filter of AgentAuthorisation rows in force at `now`."""
    now = now or timezone.now()
    return Q(withdrawn_at__isnull=True, valid_from__lte=now, valid_until__gt=now)


def access_for(user: Any) -> Access:
    """The firms `user` acts for now and the role in each (read once per user object)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NONE
    memo: Access | None = getattr(user, _MEMO, None)
    if memo is not None:
        return memo
    access = _read(user)
    setattr(user, _MEMO, access)
    return access


def _read(user: Any) -> Access:
    if getattr(user, "is_exporter", False):
        member = (
            FirmMember.objects.filter(user_id=user.pk, removed_at__isnull=True)
            .values_list("firm_id", "role")
            .first()
        )
        return Access(roles={member[0]: member[1]}) if member else _NONE
    if getattr(user, "is_agent", False):
        staff = (
            AgentStaff.objects.filter(
                user_id=user.pk,
                removed_at__isnull=True,
                registration_completed_at__isnull=False,
                agent__status=Agent.Status.ACTIVE,
            )
            .values_list("agent_id", "is_administrator")
            .first()
        )
        if staff is None:
            return _NONE
        agent_id, administrator = staff
        firm_ids = AgentAuthorisation.objects.filter(
            authorisations_in_force(), agent_id=agent_id
        ).values_list("firm_id", flat=True)
        return Access(
            roles=dict.fromkeys(firm_ids, AGENT),
            agent_id=agent_id,
            agent_administrator=administrator,
        )
    return _NONE


def files_for_firms(user: Any) -> bool:
    """May open the pages of a firm's applications: a current member, or an agent's staff."""
    return access_for(user).files


def forget(user: Any) -> None:
    """Drop what access_for kept on this user object (after changing their access)."""
    if user is not None and hasattr(user, _MEMO):
        delattr(user, _MEMO)


def firm_ids_for(user: Any) -> frozenset[int]:
    """The firms whose applications, certificates and receipts `user` may see now."""
    return access_for(user).firm_ids


def role_in(user: Any, firm_id: int | None) -> str | None:
    """The person's role in that firm ("agent" for an agent's staff); None for an outsider."""
    return access_for(user).roles.get(firm_id) if firm_id is not None else None


def may(user: Any, firm_id: int | None, capability: Capability | str) -> bool:
    """May `user` do `capability` for that firm now?"""
    role = role_in(user, firm_id)
    return role is not None and Capability(capability) in CAPABILITIES[role]


AGENT_WALLET_REFUSAL = (
    "This firm does not let its agents pay fees from its fee wallet: pay by card, or ask the "
    "firm's administrator to allow it on their Agents page."
)


def agents_pay_from_wallet(firm_id: int) -> bool:
    """The firm's setting (FirmSettings): may its authorised agents pay from its wallet?"""
    return FirmSettings.objects.filter(firm_id=firm_id, agents_pay_from_wallet=True).exists()


def may_pay_from_wallet(user: Any, firm_id: int | None) -> bool:
    """May `user` pay an application's fee from that firm's wallet now? Its administrators
    and signatories may; an agent's staff only when the firm allows its agents to (off by
    default); a preparer never."""
    if not may(user, firm_id, Capability.SUBMIT):
        return False
    if role_in(user, firm_id) == AGENT:
        return firm_id is not None and agents_pay_from_wallet(firm_id)
    return True


def agent_id_of(user: Any) -> int | None:
    """The agent an agent's staff member files for; None for everyone else."""
    return access_for(user).agent_id


def administered_agent_id(user: Any) -> int | None:
    """The agent whose staff `user` manages (its administrator); None for everyone else."""
    access = access_for(user)
    return access.agent_id if access.agent_administrator else None


def acting_firm_id(request: Any) -> int | None:
    """The firm this request acts for: a member's own firm; for an agent's staff, the IEC
    chosen in the switcher while its authorisation is in force (else the only one they have,
    else none)."""
    access = access_for(getattr(request, "user", None))
    if not access.roles:
        return None
    if access.agent_id is None:
        return next(iter(access.roles))
    chosen = request.session.get(ACTING_FIRM_SESSION_KEY)
    if chosen in access.roles:
        return int(chosen)
    return next(iter(access.roles)) if len(access.roles) == 1 else None


def firms_for(user: Any) -> QuerySet[IECRecord]:
    """The firms `user` acts for now, by IEC (the agent's switcher)."""
    return IECRecord.objects.filter(pk__in=firm_ids_for(user)).order_by("firm_name", "iec")


def member_of(user: Any) -> FirmMember | None:
    """The person's current membership of a firm, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        FirmMember.objects.select_related("firm")
        .filter(user_id=user.pk, removed_at__isnull=True)
        .first()
    )
