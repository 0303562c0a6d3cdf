"""Status subscriptions: whoever verified a certificate hears when it is revoked, superseded
(replaced) or used for an import, by email or by a webhook signed the Standard Webhooks way
(verification/webhooks.py).

Subscribing needs the certificate's number and verification code, as verifying does, and is
rate-limited per client (the `status-subscription` policy). Each change queues one delivery per
active subscription through the durable outbox, in the transaction that makes the change (so a
rolled-back change tells nobody, and a broker outage loses nothing); the delivery task checks
again that the subscription is active, so an unsubscribe before delivery stops it. Every
message carries the one-click unsubscribe link.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_ratelimit.exceptions import Ratelimited

from accounts.notifications import email_send
from certificates.models import Certificate
from core.durable.outbox import outbox_enqueue
from core.ratelimits import STATUS_SUBSCRIPTION, hits

from . import services
from .answers import verify_path
from .models import StatusSubscription
from .webhooks import secret_generate, webhook_send, webhook_url_problem

DELIVER_TASK = "verification.deliver_status_change"
EVENTS = ("revoked", "superseded", "utilised")


class SubscriptionError(Exception):
    """A refused subscription; the message is for the person subscribing."""


def unsubscribe_url(subscription: StatusSubscription) -> str:
    return settings.SITE_URL + reverse(
        "verification:unsubscribe", kwargs={"token": subscription.token}
    )


def _target_check(channel: str, target: str) -> None:
    if channel == StatusSubscription.Channel.EMAIL:
        try:
            validate_email(target)
        except ValidationError as exc:
            raise SubscriptionError("Enter a real email address.") from exc
        return
    parts = urlsplit(target)
    allowed = {"https", "http"} if settings.SUBSCRIPTION_WEBHOOK_HTTP else {"https"}
    if parts.scheme not in allowed or not parts.hostname:
        raise SubscriptionError("Give the webhook's full https:// address.")
    problem = webhook_url_problem(target)
    if problem:
        raise SubscriptionError(problem)


@transaction.atomic
def subscription_create(
    *, certificate: Certificate, channel: str, target: str, client_address: str
) -> StatusSubscription:
    """Subscribe to a certificate the caller has verified (the view checked number and code).
    Raises Ratelimited past SUBSCRIBE_RATE for the client, SubscriptionError for a bad
    target. A webhook subscription gets its own signing secret, shown once."""
    if (
        hits(STATUS_SUBSCRIPTION.name, key=services.client_hash(client_address), increment=True)
        > (STATUS_SUBSCRIPTION.limit_and_period()[0])
    ):
        raise Ratelimited()
    target = target.strip()
    _target_check(channel, target)
    webhook = channel == StatusSubscription.Channel.WEBHOOK
    subscription = StatusSubscription.objects.create(
        certificate=certificate,
        channel=channel,
        email="" if webhook else target,
        url=target if webhook else "",
        secret=secret_generate() if webhook else "",
        token=secrets.token_urlsafe(32),
    )
    if not webhook:
        email_send(
            to=target,
            template="status_subscribed",
            context={
                "certificate": certificate,
                "unsubscribe_url": unsubscribe_url(subscription),
                "verify_url": settings.SITE_URL + verify_path(certificate),
            },
        )
    return subscription


@transaction.atomic
def subscription_cancel(*, token: str) -> StatusSubscription | None:
    """One-click unsubscribe; idempotent. None for an unknown token."""
    subscription = StatusSubscription.objects.select_for_update().filter(token=token).first()
    if subscription is not None and subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


def subscriptions_notify(*, certificate_id: int, event: str) -> int:
    """Queue a delivery of `event` to every active subscription of the certificate, in the
    caller's transaction (outbox). How many were queued."""
    if event not in EVENTS:
        raise ValueError(event)
    ids = list(
        StatusSubscription.objects.filter(
            certificate_id=certificate_id, unsubscribed_at__isnull=True
        ).values_list("pk", flat=True)
    )
    at = timezone.now().isoformat()
    for subscription_id in ids:
        outbox_enqueue(task=DELIVER_TASK, args=[subscription_id, event, at])
    return len(ids)


def _event_of(certificate: Certificate) -> str | None:
    """What a certificate_changed means to a subscriber: nothing at issuance."""
    if certificate.status == Certificate.Status.REVOKED and certificate.superseded_by_id is None:
        return "revoked"
    if certificate.superseded_by_id is not None:
        return "superseded"
    return None


def subscriptions_on_certificate_changed(sender: object, *, number: str, **kwargs: Any) -> None:
    """certificate_changed's receiver (VerificationConfig.ready)."""
    certificate = Certificate.objects.filter(number=number).first()
    if certificate is None:
        return
    event = _event_of(certificate)
    if event is not None:
        subscriptions_notify(certificate_id=certificate.pk, event=event)


def payload(subscription: StatusSubscription, event: str, at: str) -> dict[str, Any]:
    """The Standard Webhooks payload (type, timestamp, data) of a change."""
    certificate = subscription.certificate
    replacement = certificate.superseded_by
    return {
        "type": f"certificate.{event}",
        "timestamp": at,
        "data": {
            "number": certificate.number,
            "status": certificate.status,
            "revoked_at": certificate.revoked_at.isoformat() if certificate.revoked_at else None,
            "revocation_reason": certificate.revocation_reason or None,
            "superseded_by": replacement.number if replacement else None,
            "verification_url": settings.SITE_URL + verify_path(certificate),
            "unsubscribe_url": unsubscribe_url(subscription),
        },
    }


def delivery_send(*, subscription_id: int, event: str, at: str) -> bool:
    """Deliver one change (the task's body); False if the subscription was cancelled. A
    webhook that does not answer 2xx raises WebhookDeliveryError (the task retries with the
    same webhook-id, so the receiver can drop a duplicate)."""
    subscription = (
        StatusSubscription.objects.select_related("certificate__superseded_by")
        .filter(pk=subscription_id, unsubscribed_at__isnull=True)
        .first()
    )
    if subscription is None:
        return False
    document = payload(subscription, event, at)
    if subscription.channel == StatusSubscription.Channel.WEBHOOK:
        webhook_send(
            url=subscription.url,
            secret=subscription.secret,
            msg_id=f"msg_{subscription.pk}_{event}_{at}",
            payload=document,
        )
    else:
        with transaction.atomic():
            email_send(
                to=subscription.email,
                template="status_changed",
                context={
                    "certificate": subscription.certificate,
                    "event": event,
                    "data": document["data"],
                    "unsubscribe_url": document["data"]["unsubscribe_url"],
                },
            )
    return True
