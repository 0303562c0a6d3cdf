"""Celery tasks of the filing API: sending one webhook delivery, retried with backoff."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from . import bulk, services, webhooks
from .models import WebhookDelivery


@shared_task(bind=True, ignore_result=True, max_retries=None)
def webhook_deliver(self: Any, delivery_id: int) -> None:
    """Send one event; on failure retry with exponential backoff (30 s, 60 s, ... capped at an
    hour) until WEBHOOK_MAX_ATTEMPTS, then mark it failed (the replay button sends it again)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state == WebhookDelivery.State.DELIVERED:
        return
    endpoint = delivery.endpoint
    try:
        code = webhooks.send(
            url=endpoint.url,
            secret=endpoint.secret,
            message_id=delivery.message_id,
            payload=delivery.payload,
        )
    except webhooks.SendFailed as exc:
        final = delivery.attempts + 1 >= settings.WEBHOOK_MAX_ATTEMPTS
        services.webhook_delivery_record(
            delivery_id=delivery.pk, status_code=exc.status_code, error=str(exc), final=final
        )
        if not final and not self.request.is_eager:
            raise self.retry(countdown=min(3600, 30 * 2**delivery.attempts)) from exc
        return
    services.webhook_delivery_record(
        delivery_id=delivery.pk, status_code=code, error="", final=True
    )


@shared_task(ignore_result=True)
def bulk_filing_run(bulk_id: int) -> int:
    """File a bulk upload's rows, one transaction each, from where it stopped; returns how
    many rows this run handled."""
    handled = 0
    while bulk.bulk_filing_step(bulk_id=bulk_id):
        handled += 1
    return handled
