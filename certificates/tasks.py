"""Certificate tasks: thin adapters around certificates.services."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Reject, Retry
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from core.durable.outbox import outbox_enqueue

from .archive import archive_timestamps_run
from .services import (
    CertificateError,
    certificate_issue,
    issuance_attempt_finish,
    issuance_attempt_start,
    issuance_sweep,
)

logger = logging.getLogger(__name__)


def _max_retries() -> int:
    return int(getattr(settings, "CERTIFICATE_ISSUE_MAX_RETRIES", 5))


@shared_task(bind=True, name="certificates.issue_certificate")
def issue_certificate_task(self: Task[Any, Any], application_id: int) -> str | Retry | None:
    """Issue the certificate of an approved application; returns its number.

    Every run is recorded as an IssuanceAttempt. Any failure other than a refusal
    (CertificateError: the application is not approved, say) is retried with exponential
    backoff: a missing signing key, a storage or database outage, the soft time limit.
    Issuance is idempotent and reuses its reserved number, so a retry, a duplicate delivery
    or a rerun after a worker died is safe.
    After the last retry the attempt is marked final, which shows the delay to the exporter
    and flags the application in the officer queue; nothing is raised then, so the approval
    that queued the task (run in-process on the embedded default) is not disturbed.
    """
    attempt = issuance_attempt_start(application_id=application_id)
    try:
        certificate = certificate_issue(application_id=application_id)
    except CertificateError as exc:
        # Refused for good: no retry follows, so an operator must see it (ERROR, with the
        # reason; the admin's issuance attempts list shows the same reason).
        logger.error(
            "Issuance of application %s refused for good: %s",
            application_id,
            exc,
            extra={"application_id": application_id, "reason": str(exc)},
        )
        issuance_attempt_finish(attempt_id=attempt.pk, error=str(exc), final=True)
        return None
    except Exception as exc:
        max_retries = _max_retries()
        final = self.request.retries >= max_retries
        issuance_attempt_finish(attempt_id=attempt.pk, error=f"{exc!r}", final=final)
        if final:
            logger.exception(
                "Issuance of application %s failed for good after %s retries: %r",
                application_id,
                max_retries,
                exc,
                extra={"application_id": application_id, "reason": repr(exc)},
            )
            return None
        countdown = get_exponential_backoff_interval(
            factor=10, retries=self.request.retries, maximum=600, full_jitter=True
        )
        # Raised, the Retry reschedules the task on a worker. In-process (eager) Celery only
        # re-runs a Retry that is returned; a raised one would escape to the approving view.
        try:
            return self.retry(
                exc=exc,
                countdown=countdown,
                max_retries=max_retries,
                throw=not self.request.is_eager,
            )
        except Reject:
            # Celery could not publish the retry (the broker is down: a Redis restart) and
            # would drop the task. The outbox keeps it; the drain publishes it on the broker's
            # return, so the issuance is not left to the sweep's much later look.
            logger.warning(
                "Issuance of application %s: retry kept in the outbox (broker unreachable)",
                application_id,
            )
            outbox_enqueue(task=self.name, args=[application_id])
            return None
    issuance_attempt_finish(attempt_id=attempt.pk)
    return certificate.number


@shared_task(name="certificates.issuance_sweep", ignore_result=True)
def issuance_sweep_task() -> list[int]:
    """Periodic (coo_portal/celery.py): queue again the issuances that were lost."""
    queued = issuance_sweep()
    if queued:
        logger.warning("Issuance queued again for stuck applications %s", queued)
    return queued


@shared_task(name="certificates.archive_timestamps", ignore_result=True)
def archive_timestamps_task() -> list[str]:
    """Periodic (coo_portal/celery.py): one batch of archive timestamps (certificates/archive.py);
    idempotent, so an overlapping or repeated run renews nothing twice."""
    run = archive_timestamps_run()
    if run.renewed or run.failed:
        logger.info(
            "Archive timestamps: %d renewed, %d failed, %d still due",
            len(run.renewed),
            len(run.failed),
            run.remaining,
        )
    return run.renewed
