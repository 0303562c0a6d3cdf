from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_save


class ApiConfig(AppConfig):
    """The filing API for brokers' and exporters' systems, and its webhooks: on top, beside
    review, since it serves applications and certificates alike."""

    name = "api"
    verbose_name = "Filing API"

    def ready(self) -> None:
        from applications.models import ApplicationEvent

        from . import checks, webhooks  # noqa: F401 - checks registers itself

        post_save.connect(
            webhooks.events_on_application_event,
            sender=ApplicationEvent,
            dispatch_uid="api-webhook-events",
        )
