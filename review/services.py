"""Writes of the officer pages that add a rule of their own on top of the workflow.

Approve -> issue is a direct call: `application_approve` runs the workflow's transition and
then enqueues the certificate's issuance through the outbox, in the approval's own transaction
(sent after commit, or when the broker is back), so an approval that rolls back enqueues
nothing. applications knows no certificates; review, on top, joins the two.

An approval over risk flags (review.risks) needs the officer's reason, and the reason goes on
the timeline in the approval's own audit event (applications.workflow writes it): the flags
are named, so whoever reads the timeline later sees what the officer approved over.
"""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from applications import workflow
from applications.models import Application

from .orchestration import issuance_enqueue
from .risks import Risk, application_risks
from .selectors import application_for_risks

MISSING_REASON = "Give the reason for approving over the risk flags."


def approval_note(*, remark: str, risks: list[Risk], reason: str) -> str:
    """The approval event's note: the flags approved over and the reason, then the remark."""
    parts = []
    if risks:
        labels = "; ".join(risk.label for risk in risks)
        count = f"{len(risks)} risk flag{'s' if len(risks) != 1 else ''}"
        parts.append(f"Approved over {count} ({labels}). Reason: {reason.strip()}")
    if remark.strip():
        parts.append(remark.strip())
    return "\n\n".join(parts)


@transaction.atomic
def application_approve(*, application_id: int, officer: User, remark: str = "") -> Application:
    """UNDER_REVIEW -> APPROVED (the workflow's rules and notifications), then the certificate's
    issuance enqueued in the same transaction."""
    application = workflow.application_approve(
        application_id=application_id, officer=officer, remark=remark
    )
    issuance_enqueue(application)
    return application


@transaction.atomic
def application_approve_reviewed(
    *, application_id: int, officer: User, remark: str = "", override_reason: str = ""
) -> Application:
    """Approve through the workflow (UNDER_REVIEW -> APPROVED, with its side effects), after
    the risk checks: if any risk is found, `override_reason` is required (WorkflowError
    without it, and nothing changes) and it goes on the approval event with the flags."""
    risks = application_risks(application_for_risks(application_id=application_id))
    if risks and not override_reason.strip():
        raise workflow.WorkflowError(MISSING_REASON)
    note = approval_note(remark=remark, risks=risks, reason=override_reason)
    return application_approve(application_id=application_id, officer=officer, remark=note)
