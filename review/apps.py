from __future__ import annotations

from django.apps import AppConfig

from applications.signals import application_approved


class ReviewConfig(AppConfig):
    """The officers' side, on top: queues, review, decisions (approve -> issue), dashboard."""

    name = "review"

    def ready(self) -> None:
        from . import orchestration

        application_approved.connect(
            orchestration.issuance_enqueue_on_approved, dispatch_uid="review-approve-issue"
        )
