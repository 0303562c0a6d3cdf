"""Certificate tasks: thin adapters around certificates.services."""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import Retry
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

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
def issue_certificate_task(self: Task, application_id: int) -> str | Retry | None:
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
        issuance_attempt_finish(attempt_id=attempt.pk, error=str(exc), final=True)
        return None
    except Exception as exc:
        max_retries = _max_retries()
        final = self.request.retries >= max_retries
        issuance_attempt_finish(attempt_id=attempt.pk, error=f"{exc!r}", final=final)
        if final:
            logger.exception("Issuing the certificate of application %s failed", application_id)
            return None
        countdown = get_exponential_backoff_interval(
            factor=10, retries=self.request.retries, maximum=600, full_jitter=True
        )
        # Raised, the Retry reschedules the task on a worker. In-process (eager) Celery only
        # re-runs a Retry that is returned; a raised one would escape to the approving view.
        return self.retry(
            exc=exc, countdown=countdown, max_retries=max_retries, throw=not self.request.is_eager
        )
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
