from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


class ReviewConfig(AppConfig):
    """The officers' side, on top: queues, review, decisions (approve -> issue), dashboard."""

    name = "review"

    def ready(self) -> None:
        from applications.models import Application

        # Every save, wherever it comes from (workflow, API, admin): the roll-up cannot miss
        # a transition that some caller forgot to report.
        post_save.connect(_rollup_on_save, sender=Application, dispatch_uid="review-rollup")


def _rollup_on_save(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """Keep the reports' daily roll-up (review/rollups.py) as applications change."""
    if raw:  # loaddata
        return
    from .rollups import rollup_refresh_application

    rollup_refresh_application(instance)
