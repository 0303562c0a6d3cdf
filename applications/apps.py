from __future__ import annotations

from django.apps import AppConfig

from core import sandbox


class ApplicationsConfig(AppConfig):
    name = "applications"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the payment gateway check

        # Imported once by the upload check's forkserver, not by every child it forks.
        sandbox.preload("core.uploads")
