"""The application workflow: the only code that changes Application.status.

    DRAFT --submit--> SUBMITTED --start review--> UNDER_REVIEW
    UNDER_REVIEW --request clarification--> CLARIFICATION_REQUESTED --resubmit--> SUBMITTED
    UNDER_REVIEW --reject--> REJECTED (final)
    UNDER_REVIEW --approve--> APPROVED --certificate issued--> ISSUED
    DRAFT / SUBMITTED / CLARIFICATION_REQUESTED --withdraw--> WITHDRAWN (final)
    DRAFT --self-declare (the exporter's own statement, India-EFTA TEPA)--> APPROVED
    UNDER_REVIEW --release (officer gives it back)--> SUBMITTED

Each transition is one function: it locks the application row (select_for_update), checks the
allowed source states and who may act, changes the status, and writes an append-only
ApplicationEvent, all in one transaction. A refused transition raises WorkflowError, whose
message is shown to the user as it is, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts import firms
from accounts.models import User
from accounts.permissions import is_agency_admin, is_agency_officer

from .events import application_event_record
from .models import Application, ApplicationEvent, Status
from .notifications import notify
from .payments import cancel_open_payments
from .rollups import decision_day_add
from .selectors import submission_problems, submitter_capacity
from .snapshots import snapshot_take
from .wallet import wallet_refund_if_due


class WorkflowError(Exception):
    """A transition that is not allowed now. The message is written for the person acting."""


# ---------------------------------------------------------------------------------------------
# The transitions table: the one answer to "what may happen to this application now"
# ---------------------------------------------------------------------------------------------


class Action(StrEnum):
    EDIT = "edit"  # change sections, goods, documents (not a transition; same rule)
    SUBMIT = "submit"
    SELF_DECLARE = "self_declare"
    RESUBMIT = "resubmit"
    WITHDRAW = "withdraw"
    START_REVIEW = "start_review"
    RELEASE = "release"
    REASSIGN = "reassign"
    APPROVE = "approve"
    REJECT = "reject"
    CLARIFY = "clarify"
    MARK_ISSUED = "mark_issued"


class Actor(StrEnum):
    OWNER = "owner"  # the firm's members (by role) and the agents it authorises now
    AGENCY_OFFICER = "agency_officer"  # an officer (or administrator) of the issuing agency
    AGENCY_ADMIN = "agency_admin"  # an administrator of the issuing agency
    SYSTEM = "system"  # no user: certificate issuance


class Holder(StrEnum):
    ANY = "any"  # whoever holds the application (or nobody)
    NOT_ANOTHER = "not_another"  # nobody else holds it
    SELF = "self"  # the acting officer holds it


@dataclass(frozen=True)
class Rule:
    sources: frozenset[Status]
    actor: Actor
    holder: Holder = Holder.ANY
    refusal: str = ""  # the status refusal, when not the generic one


TRANSITIONS: Mapping[Action, Rule] = {
    Action.EDIT: Rule(
        frozenset({Status.DRAFT, Status.CLARIFICATION_REQUESTED}),
        Actor.OWNER,
        refusal="{ref} is {status} and can no longer be changed.",
    ),
    Action.SUBMIT: Rule(frozenset({Status.DRAFT}), Actor.OWNER),
    Action.SELF_DECLARE: Rule(frozenset({Status.DRAFT}), Actor.OWNER),
    Action.RESUBMIT: Rule(frozenset({Status.CLARIFICATION_REQUESTED}), Actor.OWNER),
    Action.WITHDRAW: Rule(
        frozenset({Status.DRAFT, Status.SUBMITTED, Status.CLARIFICATION_REQUESTED}), Actor.OWNER
    ),
    Action.START_REVIEW: Rule(
        frozenset({Status.SUBMITTED}), Actor.AGENCY_OFFICER, Holder.NOT_ANOTHER
    ),
    Action.RELEASE: Rule(frozenset({Status.UNDER_REVIEW}), Actor.AGENCY_OFFICER, Holder.SELF),
    Action.REASSIGN: Rule(
        frozenset({Status.SUBMITTED, Status.UNDER_REVIEW, Status.CLARIFICATION_REQUESTED}),
        Actor.AGENCY_ADMIN,
        refusal="{ref} is already decided.",
    ),
    Action.APPROVE: Rule(frozenset({Status.UNDER_REVIEW}), Actor.AGENCY_OFFICER, Holder.SELF),
    Action.REJECT: Rule(frozenset({Status.UNDER_REVIEW}), Actor.AGENCY_OFFICER, Holder.SELF),
    Action.CLARIFY: Rule(frozenset({Status.UNDER_REVIEW}), Actor.AGENCY_OFFICER, Holder.SELF),
    Action.MARK_ISSUED: Rule(frozenset({Status.APPROVED}), Actor.SYSTEM),
}

# Where each transition leads (EDIT and REASSIGN change no status).
TARGETS: Mapping[Action, Status] = {
    Action.SUBMIT: Status.SUBMITTED,
    # No officer decides a self-declaration: once signed and made it is as an approved
    # application, waiting only for the portal to number and sign it.
    Action.SELF_DECLARE: Status.APPROVED,
    Action.RESUBMIT: Status.SUBMITTED,
    Action.WITHDRAW: Status.WITHDRAWN,
    Action.START_REVIEW: Status.UNDER_REVIEW,
    Action.RELEASE: Status.SUBMITTED,
    Action.APPROVE: Status.APPROVED,
    Action.REJECT: Status.REJECTED,
    Action.CLARIFY: Status.CLARIFICATION_REQUESTED,
    Action.MARK_ISSUED: Status.ISSUED,
}

# Statuses something may still happen from; the others (rejected, withdrawn, issued) are final.
UNFINISHED: frozenset[Status] = frozenset(s for rule in TRANSITIONS.values() for s in rule.sources)


def allowed(application: Application, action: Action | str, user: Any) -> bool:
    """May `user` (None for the system) do `action` to `application` now?"""
    return refusal(application, action, user) is None


def refusal(application: Application, action: Action | str, user: Any) -> str | None:
    """Why `user` may not do `action` now, in words for them; None when they may."""
    rule = TRANSITIONS[Action(action)]
    who = _actor_refusal(application, rule.actor, user, Action(action))
    if who:
        return who
    route = _route_refusal(application, Action(action))
    if route:
        return route
    if rule.holder != Holder.ANY and application.status in (Status.SUBMITTED, Status.UNDER_REVIEW):
        holder_id = application.assigned_officer_id
        held_by_another = holder_id is not None and holder_id != user.pk
        if (rule.holder == Holder.NOT_ANOTHER and held_by_another) or (
            rule.holder == Holder.SELF
            and application.status == Status.UNDER_REVIEW
            and holder_id != user.pk
        ):
            holder = application.assigned_officer
            name = (holder.get_full_name() or holder.username) if holder else "nobody"
            return f"{application.reference} is assigned to {name}, not to you."
    if application.status not in rule.sources:
        status = application.get_status_display().lower()
        if rule.refusal:
            return rule.refusal.format(ref=application.reference, status=status)
        verb = _VERBS.get(TARGETS.get(Action(action), Status.DRAFT), "changed")
        return f"{application.reference} is {status}; it cannot be {verb} now."
    return None


def _route_refusal(application: Application, action: Action) -> str | None:
    """A self-declaration (India-EFTA TEPA) is made, never submitted to an agency; an
    application an agency is to certify is submitted, never self-declared."""
    if action == Action.SUBMIT and application.is_self_declared:
        return (
            f"{application.reference} is a self-declaration: no agency reviews it. Make the "
            "self-declaration instead."
        )
    if action == Action.SELF_DECLARE and not application.is_self_declared:
        return (
            f"{application.reference} is to be certified by {application.agency.name}: submit "
            "it to the agency."
        )
    return None


def _actor_refusal(application: Application, actor: Actor, user: Any, action: Action) -> str | None:
    if actor == Actor.SYSTEM:
        return None if user is None else "Only certificate issuance can do this."
    if user is None or not user.is_authenticated:
        return "Sign in to act on this application."
    if actor == Actor.OWNER:
        # The firm's members and authorised agents; a preparer may edit but not submit.
        if not firms.may(user, application.firm_id, firms.Capability.VIEW):
            return firms.NOT_YOURS
        needs = firms.Capability.DRAFT if action == Action.EDIT else firms.Capability.SUBMIT
        return None if firms.may(user, application.firm_id, needs) else firms.SUBMIT_REFUSAL
    if not is_agency_officer(user, application.agency_id):
        return "Only officers of the issuing agency can act on this application."
    if actor == Actor.AGENCY_ADMIN and not is_agency_admin(user, application.agency_id):
        return "Only an agency administrator can reassign applications."
    return None


def _require(application: Application, action: Action, user: Any) -> None:
    reason = refusal(application, action, user)
    if reason:
        raise WorkflowError(reason)


def _locked(application_id: int) -> Application:
    """The application, its row locked until the transaction ends, read after the lock.

    The lock is taken on the bare row: PostgreSQL refuses FOR UPDATE on the nullable side of
    an outer join, and with FOR UPDATE OF it re-checks only the locked row after waiting, so
    joined columns (assigned_officer) could still show the state from before the wait. Read
    again with the joins once the lock is held: that read sees what the winner committed.
    """
    Application.objects.select_for_update().filter(pk=application_id).values_list(
        "pk", flat=True
    ).get()
    return Application.objects.select_related(
        "exporter", "agency", "office", "assigned_officer"
    ).get(pk=application_id)


def _transition(
    application: Application,
    *,
    action: Action,
    actor: User | None,
    note: str = "",
    **updates: Any,
) -> Application:
    """Do `action` to a locked application, if the table allows `actor` to. Must be called
    inside transaction.atomic()."""
    _require(application, action, actor)
    to = TARGETS[action]
    from_status = application.status
    application.status = to
    for field, value in updates.items():
        setattr(application, field, value)
    application.save(update_fields=["status", "updated_at", *updates])
    application_event_record(
        application_id=application.pk,
        kind=ApplicationEvent.Kind.TRANSITION,
        from_status=from_status,
        to_status=to,
        actor=actor,
        note=note,
        agency_id=application.agency_id,
    )
    if "decided_at" in updates:
        decision_day_add(application=application)  # the time-to-decision report's histogram
    return application


_VERBS = {
    Status.SUBMITTED: "submitted",
    Status.UNDER_REVIEW: "taken for review",
    Status.CLARIFICATION_REQUESTED: "sent back for clarification",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
    Status.ISSUED: "marked issued",
    Status.WITHDRAWN: "withdrawn",
}

# ---------------------------------------------------------------------------------------------
# Exporter transitions
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def application_submit(*, application_id: int, exporter: User) -> Application:
    """DRAFT -> SUBMITTED. Refused unless every section is complete, the required documents
    are there and the fee is captured. Side effects: acknowledgement email and SMS."""

    application = _locked(application_id)
    _require(application, Action.SUBMIT, exporter)
    problems = submission_problems(application)
    if problems:
        raise WorkflowError(
            gettext("You cannot submit yet: %(problems)s.") % {"problems": "; ".join(problems)}
        )
    now = timezone.now()
    _transition(
        application,
        action=Action.SUBMIT,
        actor=exporter,
        submitted_at=now,
        first_submitted_at=now,
        submitted_by=exporter,  # the declaration names the signatory who submitted
        submitted_as=submitter_capacity(exporter, application),
    )
    application.notified = notify("submitted", application)
    return application


@transaction.atomic
def application_self_declare(*, application_id: int, exporter: User) -> Application:
    """DRAFT -> APPROVED for a self-declaration (India-EFTA TEPA): the firm's signatory makes
    the statement on origin they signed (applications/declaration.py). Refused for an
    application an agency is to certify, and unless everything submission asks for is there
    (no fee is due). No officer is involved and nobody is told yet: certificates issues it
    (certificates.services.self_declaration_make) and tells the exporter then."""
    application = _locked(application_id)
    _require(application, Action.SELF_DECLARE, exporter)
    problems = submission_problems(application)
    if problems:
        raise WorkflowError(
            gettext("You cannot make the self-declaration yet: %(problems)s.")
            % {"problems": "; ".join(problems)}
        )
    now = timezone.now()
    return _transition(
        application,
        action=Action.SELF_DECLARE,
        actor=exporter,
        note="Self-declaration of origin made by the exporter (no agency certifies it).",
        submitted_at=now,
        first_submitted_at=now,
        decided_at=now,
        submitted_by=exporter,
        submitted_as=submitter_capacity(exporter, application),
    )


@transaction.atomic
def application_resubmit(*, application_id: int, exporter: User, reply: str) -> Application:
    """CLARIFICATION_REQUESTED -> SUBMITTED, with the exporter's reply. No new fee. Side
    effects: an acknowledgement to the exporter, and the reply to the officer holding the
    application (or the office's queue if nobody holds it)."""

    application = _locked(application_id)
    if not reply.strip():
        raise WorkflowError(gettext("Write a reply to the officer's question before you resubmit."))
    _require(application, Action.RESUBMIT, exporter)
    problems = submission_problems(application)
    if problems:
        raise WorkflowError(
            gettext("You cannot resubmit yet: %(problems)s.") % {"problems": "; ".join(problems)}
        )
    _transition(
        application,
        action=Action.RESUBMIT,
        actor=exporter,
        note=reply.strip(),
        submitted_at=timezone.now(),
    )
    application.notified = notify("resubmitted", application, note=reply.strip())
    return application


@transaction.atomic
def application_withdraw(*, application_id: int, exporter: User) -> Application:
    """DRAFT / SUBMITTED / CLARIFICATION_REQUESTED -> WITHDRAWN (final). Tells the exporter,
    and the officer holding it if anyone does."""
    application = _locked(application_id)
    _transition(application, action=Action.WITHDRAW, actor=exporter)
    cancel_open_payments(application)  # nothing is to be paid for it any more
    wallet_refund_if_due(application=application, actor=exporter)  # the fee wallet's rule
    application.notified = notify("withdrawn", application)
    return application


# ---------------------------------------------------------------------------------------------
# Officer transitions
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def application_start_review(*, application_id: int, officer: User) -> Application:
    """SUBMITTED -> UNDER_REVIEW, assigned to `officer`. Of two officers pressing "Start
    review" at once, the row lock lets exactly one through; the other is told who has it.
    Tells the exporter that the application is under review."""
    application = _locked(application_id)
    _transition(
        application,
        action=Action.START_REVIEW,
        actor=officer,
        assigned_officer=officer,
    )
    application.notified = notify("under_review", application)
    return application


@transaction.atomic
def application_release(*, application_id: int, officer: User) -> Application:
    """UNDER_REVIEW -> SUBMITTED: an officer gives back an application they hold. Tells
    nobody (notifications.NOTIFICATIONS["released"])."""
    application = _locked(application_id)
    _transition(
        application,
        action=Action.RELEASE,
        actor=officer,
        note="Released for another officer.",
        assigned_officer=None,
    )
    application.notified = notify("released", application)
    return application


@transaction.atomic
def application_reassign(*, application_id: int, admin: User, to_officer: User) -> Application:
    """An agency administrator hands an application to another officer of the agency.
    The status does not change; an assignment event is written, and the officer is told."""
    application = _locked(application_id)
    _require(application, Action.REASSIGN, admin)
    if not is_agency_officer(to_officer, application.agency_id):
        raise WorkflowError("Only officers of the issuing agency can act on this application.")
    application.assigned_officer = to_officer
    application.save(update_fields=["assigned_officer", "updated_at"])
    application_event_record(
        application_id=application.pk,
        kind=ApplicationEvent.Kind.ASSIGNMENT,
        actor=admin,
        note=f"Assigned to {to_officer.get_full_name() or to_officer.username}.",
    )
    application.notified = notify("assigned", application)
    return application


def _decide(
    *,
    application_id: int,
    officer: User,
    action: Action,
    note: str,
    missing_note: str | None,
    event: str,
    **updates: Any,
) -> Application:
    """An officer's decision on an application under review: only the officer holding it may
    decide; `missing_note`, when given, is the refusal for an empty note. The exporter is told
    by email and SMS after commit."""
    application = _locked(application_id)
    note = note.strip()
    if missing_note and not note:
        raise WorkflowError(missing_note)
    _transition(application, action=action, actor=officer, note=note, **updates)
    application.notified = notify(event, application, note=note)
    return application


@transaction.atomic
def application_approve(*, application_id: int, officer: User, remark: str = "") -> Application:
    """UNDER_REVIEW -> APPROVED, and an email and SMS to the exporter through the outbox. The
    certificate's issuance is review's to enqueue (review.services.application_approve):
    applications knows no certificates."""
    application = _decide(
        application_id=application_id,
        officer=officer,
        action=Action.APPROVE,
        note=remark,
        missing_note=None,
        event="approved",
        decided_at=timezone.now(),
    )
    return application


@transaction.atomic
def application_reject(*, application_id: int, officer: User, reason: str) -> Application:
    """UNDER_REVIEW -> REJECTED (final). A reason is required. Notifies the exporter."""
    application = _decide(
        application_id=application_id,
        officer=officer,
        action=Action.REJECT,
        note=reason,
        missing_note="Give the reason for rejecting the application.",
        event="rejected",
        decided_at=timezone.now(),
    )
    wallet_refund_if_due(application=application, actor=officer)  # the fee wallet's rule
    return application


@transaction.atomic
def application_request_clarification(
    *, application_id: int, officer: User, message: str
) -> Application:
    """UNDER_REVIEW -> CLARIFICATION_REQUESTED. A message is required. Notifies the exporter,
    and records what the application says now (snapshots.snapshot_take), so that after the
    reply the officer sees what changed."""
    application = _decide(
        application_id=application_id,
        officer=officer,
        action=Action.CLARIFY,
        note=message,
        missing_note="Write what the exporter needs to clarify.",
        event="clarification_requested",
    )
    question = application.events.filter(to_status=Status.CLARIFICATION_REQUESTED).latest("pk")
    snapshot_take(event=question, application=application)
    return application


@transaction.atomic
def application_mark_issued(*, application_id: int, note: str = "") -> Application:
    """APPROVED -> ISSUED, called by certificate issuance in the same transaction that stores
    the certificate."""
    application = _locked(application_id)
    return _transition(application, action=Action.MARK_ISSUED, actor=None, note=note)
