"""Writes of the filing API: idempotent requests, webhook endpoints and their deliveries."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts import firms
from accounts.models import User
from core.durable.outbox import outbox_enqueue
from verification.webhooks import webhook_url_problem

from . import webhooks
from .models import WebhookDelivery, WebhookEndpoint


@transaction.atomic
def webhook_endpoint_register(
    *, user: User, url: str, event_types: list[str], firm_id: int | None = None
) -> WebhookEndpoint:
    """An endpoint for the agent `user` files for (agent's staff), or for their firm (a
    firm's administrator, who holds the firm's settings). The secret is made here."""
    problem = webhook_url_problem(url)
    if problem:
        raise webhooks.WebhookRefused(problem)
    unknown = set(event_types) - set(webhooks.EVENT_TYPES)
    if unknown:
        raise webhooks.WebhookRefused(f"Unknown event types: {', '.join(sorted(unknown))}.")
    agent_id = firms.agent_id_of(user)
    if agent_id is not None:
        owner: dict[str, int | None] = {"agent_id": agent_id, "firm_id": None}
    else:
        mine = firms.firm_ids_for(user)
        firm_id = firm_id if firm_id is not None else next(iter(mine), None)
        if firm_id is None or not firms.may(user, firm_id, firms.Capability.MANAGE):
            raise webhooks.WebhookRefused("Only a firm's administrator registers its webhooks.")
        owner = {"firm_id": firm_id, "agent_id": None}
    return WebhookEndpoint.objects.create(
        url=url,
        secret=webhooks.new_secret(),
        event_types=sorted(set(event_types)),
        created_by=user,
        **owner,
    )


def endpoints_of(user: User) -> list[WebhookEndpoint]:
    """The endpoints `user` may see and manage: their agent's, or their firm's (administrator)."""
    agent_id = firms.agent_id_of(user)
    if agent_id is not None:
        return list(WebhookEndpoint.objects.filter(agent_id=agent_id))
    managed = [f for f in firms.firm_ids_for(user) if firms.may(user, f, firms.Capability.MANAGE)]
    return list(WebhookEndpoint.objects.filter(firm_id__in=managed))


@transaction.atomic
def webhook_delivery_record(
    *, delivery_id: int, status_code: int | None, error: str, final: bool
) -> WebhookDelivery:
    """Record one attempt: delivered on a 2xx, else failed for good when `final`."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = error[:500]
    if not error:
        delivery.state = WebhookDelivery.State.DELIVERED
        delivery.delivered_at = timezone.now()
    elif final:
        delivery.state = WebhookDelivery.State.FAILED
    delivery.save()
    return delivery


@transaction.atomic
def webhook_delivery_replay(*, user: User, delivery_id: int) -> WebhookDelivery:
    """Send an event again (the replay button): the same webhook-id, so a receiver that
    already has it can tell; refused for anybody else's endpoint."""
    mine = {e.pk for e in endpoints_of(user)}
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id, endpoint_id__in=mine)
    delivery.state = WebhookDelivery.State.PENDING
    delivery.save(update_fields=["state", "updated_at"])
    outbox_enqueue(task=webhooks.DELIVER_TASK, args=[delivery.pk])
    return delivery
