"""The application workflow: the only code that changes Application.status.

    DRAFT --submit--> SUBMITTED --start review--> UNDER_REVIEW
    UNDER_REVIEW --request clarification--> CLARIFICATION_REQUESTED --resubmit--> SUBMITTED
    UNDER_REVIEW --reject--> REJECTED (final)
    UNDER_REVIEW --approve--> APPROVED --certificate issued--> ISSUED
    DRAFT / SUBMITTED / CLARIFICATION_REQUESTED --withdraw--> WITHDRAWN (final)
    UNDER_REVIEW --release (officer gives it back)--> SUBMITTED

Each transition is one function: it locks the application row (select_for_update), checks the
allowed source states and who may act, changes the status, and writes an append-only
ApplicationEvent, all in one transaction. A refused transition raises WorkflowError, whose
message is shown to the user as it is, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Application, ApplicationEvent, Status
from .notifications import notify
from .selectors import submission_problems
from .signals import application_approved
from .snapshots import snapshot_take
from .wallet import wallet_refund_if_due


class WorkflowError(Exception):
    """A transition that is not allowed now. The message is written for the person acting."""


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
    to: Status,
    allowed: Collection[Status],
    actor: User | None,
    note: str = "",
    **updates: Any,
) -> Application:
    """Move a locked application to `to`. Must be called inside transaction.atomic()."""
    if application.status not in allowed:
        raise WorkflowError(
            f"{application.reference} is {application.get_status_display().lower()}; "
            f"it cannot be {_VERBS.get(to, 'changed')} now."
        )
    from_status = application.status
    application.status = to
    for field, value in updates.items():
        setattr(application, field, value)
    application.save(update_fields=["status", "updated_at", *updates])
    ApplicationEvent.objects.create(
        application=application,
        kind=ApplicationEvent.Kind.TRANSITION,
        from_status=from_status,
        to_status=to,
        actor=actor,
        note=note,
    )
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
    _check_owner(application, exporter)
    if application.status == Status.DRAFT:
        problems = submission_problems(application)
        if problems:
            raise WorkflowError("You cannot submit yet: " + "; ".join(problems) + ".")
    now = timezone.now()
    _transition(
        application,
        to=Status.SUBMITTED,
        allowed={Status.DRAFT},
        actor=exporter,
        submitted_at=now,
        first_submitted_at=now,
    )
    application.notified = notify("submitted", application)
    return application


@transaction.atomic
def application_resubmit(*, application_id: int, exporter: User, reply: str) -> Application:
    """CLARIFICATION_REQUESTED -> SUBMITTED, with the exporter's reply. No new fee. Side
    effects: an acknowledgement to the exporter, and the reply to the officer holding the
    application (or the office's queue if nobody holds it)."""

    application = _locked(application_id)
    _check_owner(application, exporter)
    if not reply.strip():
        raise WorkflowError("Write a reply to the officer's question before you resubmit.")
    if application.status == Status.CLARIFICATION_REQUESTED:
        problems = submission_problems(application)
        if problems:
            raise WorkflowError("You cannot resubmit yet: " + "; ".join(problems) + ".")
    _transition(
        application,
        to=Status.SUBMITTED,
        allowed={Status.CLARIFICATION_REQUESTED},
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
    _check_owner(application, exporter)
    _transition(
        application,
        to=Status.WITHDRAWN,
        allowed={Status.DRAFT, Status.SUBMITTED, Status.CLARIFICATION_REQUESTED},
        actor=exporter,
    )
    wallet_refund_if_due(application=application, actor=exporter)  # the fee wallet's rule
    application.notified = notify("withdrawn", application)
    return application


def _check_owner(application: Application, exporter: User) -> None:
    if application.exporter_id != exporter.pk:
        # Views look applications up by owner first; reaching this is a programming error.
        raise WorkflowError("This application is not yours.")


# ---------------------------------------------------------------------------------------------
# Officer transitions
# ---------------------------------------------------------------------------------------------


def _check_officer(application: Application, officer: User) -> None:
    profile = getattr(officer, "officer_profile", None)
    if not officer.is_officer or profile is None or profile.agency_id != application.agency_id:
        raise WorkflowError("Only officers of the issuing agency can act on this application.")


def _check_assigned(application: Application, officer: User) -> None:
    if application.assigned_officer_id != officer.pk:
        holder = application.assigned_officer
        who = (holder.get_full_name() or holder.username) if holder else "nobody"
        raise WorkflowError(f"{application.reference} is assigned to {who}, not to you.")


@transaction.atomic
def application_start_review(*, application_id: int, officer: User) -> Application:
    """SUBMITTED -> UNDER_REVIEW, assigned to `officer`. Of two officers pressing "Start
    review" at once, the row lock lets exactly one through; the other is told who has it.
    Tells the exporter that the application is under review."""
    application = _locked(application_id)
    _check_officer(application, officer)
    if application.status == Status.UNDER_REVIEW and application.assigned_officer:
        _check_assigned(application, officer)  # says who has it
    if application.status == Status.SUBMITTED and application.assigned_officer_id not in (
        None,
        officer.pk,
    ):
        _check_assigned(application, officer)
    _transition(
        application,
        to=Status.UNDER_REVIEW,
        allowed={Status.SUBMITTED},
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
    _check_officer(application, officer)
    if application.status == Status.UNDER_REVIEW:
        _check_assigned(application, officer)
    _transition(
        application,
        to=Status.SUBMITTED,
        allowed={Status.UNDER_REVIEW},
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
    _check_officer(application, admin)
    if admin.role != User.Role.AGENCY_ADMIN:
        raise WorkflowError("Only an agency administrator can reassign applications.")
    _check_officer(application, to_officer)
    if application.status not in {
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        Status.CLARIFICATION_REQUESTED,
    }:
        raise WorkflowError(f"{application.reference} is already decided.")
    application.assigned_officer = to_officer
    application.save(update_fields=["assigned_officer", "updated_at"])
    ApplicationEvent.objects.create(
        application=application,
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
    to: Status,
    note: str,
    missing_note: str | None,
    event: str,
    **updates: Any,
) -> Application:
    """An officer's decision on an application under review: only the officer holding it may
    decide; `missing_note`, when given, is the refusal for an empty note. The exporter is told
    by email and SMS after commit."""
    application = _locked(application_id)
    _check_officer(application, officer)
    note = note.strip()
    if missing_note and not note:
        raise WorkflowError(missing_note)
    if application.status == Status.UNDER_REVIEW:
        _check_assigned(application, officer)
    _transition(
        application, to=to, allowed={Status.UNDER_REVIEW}, actor=officer, note=note, **updates
    )
    application.notified = notify(event, application, note=note)
    return application


@transaction.atomic
def application_approve(*, application_id: int, officer: User, remark: str = "") -> Application:
    """UNDER_REVIEW -> APPROVED. Side effects, through the outbox (sent after commit, or when
    the broker is back): the certificate issuance task, and an email and SMS to the exporter."""
    application = _decide(
        application_id=application_id,
        officer=officer,
        to=Status.APPROVED,
        note=remark,
        missing_note=None,
        event="approved",
        decided_at=timezone.now(),
    )
    # review/ listens and enqueues the certificate's issuance (applications knows no certificates).
    application_approved.send(sender=Application, application=application)
    return application


@transaction.atomic
def application_reject(*, application_id: int, officer: User, reason: str) -> Application:
    """UNDER_REVIEW -> REJECTED (final). A reason is required. Notifies the exporter."""
    application = _decide(
        application_id=application_id,
        officer=officer,
        to=Status.REJECTED,
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
        to=Status.CLARIFICATION_REQUESTED,
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
    return _transition(
        application, to=Status.ISSUED, allowed={Status.APPROVED}, actor=None, note=note
    )
