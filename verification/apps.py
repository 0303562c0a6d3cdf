from __future__ import annotations

from django.apps import AppConfig

from applications import sandbox


class VerificationConfig(AppConfig):
    name = "verification"

    def ready(self) -> None:
        # Imported once by the upload check's forkserver, not by every child it forks.
        sandbox.preload("verification.document_check")
