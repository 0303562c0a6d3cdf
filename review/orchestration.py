"""Approve -> issue: when an application is approved, its certificate's issuance is enqueued.

applications sends application_approved; certificates knows nothing of approvals. The task
goes through the outbox in the approval's own transaction (sent after commit, or when the
broker is back), so an approval that rolls back enqueues nothing.
"""

from __future__ import annotations

from typing import Any

from applications.models import Application
from certificates.tasks import issue_certificate_task
from durable.outbox import outbox_enqueue


def issuance_enqueue_on_approved(sender: Any, *, application: Application, **kwargs: Any) -> None:
    outbox_enqueue(task=issue_certificate_task.name, args=[application.pk])
