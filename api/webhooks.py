"""Webhook events of applications and certificates, signed by the Standard Webhooks scheme.

Every status change is an ApplicationEvent (applications/events.py writes them all); the
receiver here turns those that a filer's system cares about into events, writes one
WebhookDelivery per endpoint of the firm (and of the agent that filed it, while the firm
authorises it), and queues its sending through the durable outbox in the same transaction:
an event is sent only if the change commits, and is sent even if the broker was down then.

The signing and sending are `sign_headers` and `send`: small on purpose, for others to share.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
import uuid
from base64 import b64encode
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts import firms
from accounts.models import AgentAuthorisation
from applications.models import Application, ApplicationEvent, Status
from core.durable.outbox import outbox_enqueue
from verification.webhooks import webhook_url_problem as url_problem

from .models import WebhookDelivery, WebhookEndpoint

DELIVER_TASK = "api.tasks.webhook_deliver"
EVENT_TYPES = (
    "application.submitted",
    "application.clarification_requested",
    "application.approved",
    "application.rejected",
    "certificate.issued",
    "certificate.revoked",
    "certificate.superseded",
)
_BY_STATUS = {
    Status.SUBMITTED: "application.submitted",
    Status.CLARIFICATION_REQUESTED: "application.clarification_requested",
    Status.APPROVED: "application.approved",
    Status.REJECTED: "application.rejected",
    Status.ISSUED: "certificate.issued",
}
_BY_LABEL = {
    "Certificate revoked": "certificate.revoked",
    "Certificate superseded": "certificate.superseded",
}


class WebhookRefused(Exception):  # noqa: N818 - reads as the outcome
    """An endpoint that may not be registered; the message is for the person."""


def new_secret() -> str:
    return "whsec_" + b64encode(secrets.token_bytes(24)).decode()


def event_type_of(event: ApplicationEvent) -> str | None:
    """The webhook event an audit event stands for, if any (a release to the queue or a
    start of review is the officers' business, not the filer's)."""
    if event.kind == ApplicationEvent.Kind.TRANSITION:
        if event.from_status == Status.UNDER_REVIEW and event.to_status == Status.SUBMITTED:
            return None
        return _BY_STATUS.get(Status(event.to_status)) if event.to_status else None
    return _BY_LABEL.get(event.label)


def _payload(event_type: str, application: Application, event: ApplicationEvent) -> dict[str, Any]:
    return {
        "type": event_type,
        "timestamp": event.created_at.isoformat(),
        "data": {
            "reference": application.reference,
            "status": application.status,
            "client_reference": application.client_reference,
            "iec": application.firm.iec,
            "note": event.note,
        },
    }


def endpoints_for(application: Application, event_type: str) -> list[WebhookEndpoint]:
    """The firm's endpoints, and those of the agent that filed it while the firm authorises
    that agent now."""
    owners = Q(firm_id=application.firm_id)
    if application.filed_by_agent_id is not None:
        authorised = AgentAuthorisation.objects.filter(
            firms.authorisations_in_force(),
            agent_id=application.filed_by_agent_id,
            firm_id=application.firm_id,
        ).exists()
        if authorised:
            owners |= Q(agent_id=application.filed_by_agent_id)
    candidates = WebhookEndpoint.objects.filter(owners, disabled_at__isnull=True)
    return [e for e in candidates if not e.event_types or event_type in e.event_types]


def events_on_application_event(
    sender: Any, *, instance: ApplicationEvent, created: bool, **kwargs: Any
) -> None:
    """post_save of ApplicationEvent: queue the webhook deliveries it calls for."""
    if not created:
        return
    event_type = event_type_of(instance)
    if event_type is None:
        return
    application = Application.objects.select_related("firm").get(pk=instance.application_id)
    endpoints = endpoints_for(application, event_type)
    if not endpoints:
        return
    payload = _payload(event_type, application, instance)
    message_id = f"msg_{uuid.uuid4().hex}"
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, message_id=message_id, event_type=event_type, payload=payload
        )
        outbox_enqueue(task=DELIVER_TASK, args=[delivery.pk])


# ---------------------------------------------------------------------------------------------
# Signing and sending (shareable: nothing below knows about applications)
# ---------------------------------------------------------------------------------------------


def sign_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "content-type": "application/json",
    }


class SendFailed(Exception):  # noqa: N818 - reads as the outcome
    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


def send(*, url: str, secret: str, message_id: str, payload: dict[str, Any]) -> int:
    """POST the signed event; the receiver's status code when it is 2xx, else SendFailed."""
    problem = url_problem(url)
    if problem:
        raise SendFailed(problem)
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    headers = sign_headers(secret=secret, message_id=message_id, body=body, at=timezone.now())
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310 - scheme checked by url_problem
    try:
        with urllib.request.urlopen(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:  # noqa: S310 - scheme checked above
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        raise SendFailed(f"HTTP {exc.code}", exc.code) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SendFailed(str(exc)[:500]) from exc
