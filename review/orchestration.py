"""Approve -> issue: the certificate's issuance, enqueued for an approved application.

review.services.application_approve calls it in the approval's transaction; the task goes
through the outbox (sent after commit, or when the broker is back), so an approval that rolls
back enqueues nothing.
"""

from __future__ import annotations

from applications.models import Application
from certificates.tasks import issue_certificate_task
from core.durable.outbox import outbox_enqueue


def issuance_enqueue(application: Application) -> None:
    outbox_enqueue(task=issue_certificate_task.name, args=[application.pk])
