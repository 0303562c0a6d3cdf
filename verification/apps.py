from __future__ import annotations

from django.apps import AppConfig

from certificates.signals import certificate_changed
from core import sandbox


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        # Imported once by the upload check's forkserver, not by every child it forks.
        sandbox.preload("verification.document_check")
        # Kept answers are forgotten inside the certificate's transaction; a failure rolls it back.
        from . import checks, logbuffer, services, subscriptions, transparency  # noqa: F401 - checks

        # Without Redis, lookup log rows are written after the response, in batches.
        logbuffer.connect()

        certificate_changed.connect(
            services.answer_forget_on_certificate_changed, dispatch_uid="verification-forget"
        )
        # Every change is a leaf of the agency's transparency log, in the same transaction.
        certificate_changed.connect(
            transparency.transparency_on_certificate_changed, dispatch_uid="verification-log"
        )
        # Subscribers hear of a revocation or replacement through the outbox, after commit.
        certificate_changed.connect(
            subscriptions.subscriptions_on_certificate_changed,
            dispatch_uid="verification-subscriptions",
        )
