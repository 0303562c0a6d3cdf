from __future__ import annotations

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The project package as an app, for what operators run and see: the system checks of the
    operations settings, the metrics and request ids wired to requests and tasks, and the
    management commands that set an installation up (create_bucket)."""

    name = "coo_portal"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Imported for their registrations: system checks, and Celery signal handlers (in the
        # web processes and the workers alike).
        from . import checks, logs, metrics  # noqa: F401
