"""Payments as a gateway reports them: the browser's return and the webhook of a gateway that
signs its own messages (Razorpay), the reconciler that asks the gateway about payments whose
messages never came, and the refund of a capture nobody needs.

Every route ends in services.payment_apply_gateway_event, which applies a fact once whichever
route brings it first (the event id is the same on every route: see payment_types.GatewayEvent).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Payment, PaymentRefund
from .payments import GatewayUnavailable, RefundRefused, gateway_get
from .services import PaymentOutcome, PaymentRefused, payment_apply_gateway_event

logger = logging.getLogger(__name__)

# A payment older than this is no longer asked about: its order has long expired.
RECONCILE_WINDOW = timedelta(days=7)


def payment_confirm_return(*, payment: Payment, params: dict[str, str]) -> PaymentOutcome:
    """The browser came back from the gateway's checkout with `params`: the gateway checks
    them (its signature, then its own answer about the payment) and the fact is applied."""
    try:
        gateway = gateway_get(payment.gateway)
        event = gateway.return_event(payment, params)
    except GatewayUnavailable as exc:
        logger.error("payment return for %s not confirmed: %s", payment.order_id, exc)
        raise PaymentRefused(
            "the payment service did not answer just now. If you paid, the payment is applied "
            "within a few minutes, when the portal asks the payment service again; you need "
            "not pay twice."
        ) from exc
    if event is None:
        logger.warning("payment return for %s refused: bad signature", payment.order_id)
        raise PaymentRefused("The payment message's signature is not valid.")
    return payment_apply_gateway_event(event=event, source="return")


@dataclass(frozen=True)
class NotificationAnswer:
    status: int
    body: dict[str, Any]


def payment_apply_notification(
    *, gateway_name: str, agency_code: str, body: bytes, signature: str
) -> NotificationAnswer:
    """A gateway's webhook for one agency's account: the signature over the raw body checked
    with that agency's secret, then the payment it names (of that agency only) applied."""
    try:
        gateway = gateway_get(gateway_name)
        notice = gateway.parse_notification(agency_code, body, signature)
    except (GatewayUnavailable, ValueError) as exc:
        logger.warning("notification for %s refused: %s", agency_code, exc)
        return NotificationAnswer(400, {"ok": False, "error": "bad request"})
    if notice is None:
        logger.warning("notification for %s refused: bad signature", agency_code)
        return NotificationAnswer(400, {"ok": False, "error": "bad signature"})
    gateway_order_id, entity = notice
    payment = (
        Payment.objects.select_related("application__agency")
        .filter(
            gateway=gateway.name,
            gateway_order_id=gateway_order_id,
            application__agency__code=agency_code,
        )
        .first()
        if gateway_order_id
        else None
    )
    event = gateway.event_from_notice(payment, entity) if payment is not None else None
    if event is None:  # another event, or an order that is not ours: nothing to retry
        return NotificationAnswer(200, {"ok": True, "applied": False, "ignored": True})
    try:
        outcome = payment_apply_gateway_event(event=event, source="notification")
    except PaymentRefused as exc:
        return NotificationAnswer(400, {"ok": False, "error": str(exc)})
    if outcome.refused:
        return NotificationAnswer(400, {"ok": False, "error": outcome.refused})
    return NotificationAnswer(
        200, {"ok": True, "applied": outcome.applied, "replay": outcome.replay}
    )


def payment_refund_unapplied(*, payment_id: int) -> PaymentRefund | None:
    """Give a capture nobody needs back to the card through its gateway, once.

    The refund row is created (unique per payment) and locked before the gateway is asked, so
    two runs at once ask once; a run that finds a refund already requested or made does
    nothing. Should a run die after the gateway said yes and before its answer was stored, the
    next asks again and the gateway refuses to refund more than was paid (recorded as
    refused, for support to read the gateway's answer)."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .select_related("application")
            .filter(pk=payment_id, state=Payment.State.UNAPPLIED)
            .first()
        )
        if payment is None:
            return None
        try:
            with transaction.atomic():
                refund, _ = PaymentRefund.objects.get_or_create(
                    payment=payment,
                    defaults={
                        "amount_paise": int(payment.amount * 100),
                        "reason": "Paid after the fee was settled another way or the "
                        "application was withdrawn",
                    },
                )
        except IntegrityError:
            return None
        refund = PaymentRefund.objects.select_for_update().get(pk=refund.pk)
        if refund.state != PaymentRefund.State.REQUESTED or refund.gateway_refund_id:
            return refund
        try:
            result = gateway_get(payment.gateway).refund(payment, refund.amount_paise)
        except RefundRefused as exc:
            refund.state = PaymentRefund.State.REFUSED
            refund.detail = str(exc)[:300]
            refund.save(update_fields=["state", "detail", "updated_at"])
            logger.error("refund of %s refused by the gateway: %s", payment.order_id, exc)
            return refund
        except Exception as exc:  # unreachable: left requested, the reconciler retries
            logger.warning("refund of %s not made yet: %s", payment.order_id, exc)
            return refund
        refund.gateway_refund_id = result.refund_id
        refund.state = PaymentRefund.State.PROCESSED if result.processed else refund.state
        refund.save(update_fields=["gateway_refund_id", "state", "updated_at"])
        logger.info("refunded %s to the card: %s", payment.order_id, result.refund_id)
        return refund


@dataclass
class Reconciled:
    asked: int = 0
    applied: list[str] = field(default_factory=list)  # order ids
    refunds: int = 0


def payments_reconcile(*, older_than: timedelta | None = None) -> Reconciled:
    """Ask the gateway about every payment still open after a few minutes whose return and
    notification never came, and apply what it says (captured -> applied, failed -> closed)
    once; then retry the refunds of unneeded captures that are still due."""
    now = timezone.now()
    age = (
        older_than
        if older_than is not None
        else timedelta(seconds=settings.PAYMENT_RECONCILE_AFTER_SECONDS)
    )
    report = Reconciled()
    open_payments = (
        Payment.objects.filter(
            state=Payment.State.CREATED,
            created_at__lte=now - age,
            created_at__gte=now - RECONCILE_WINDOW,
        )
        .exclude(gateway_order_id="")
        .select_related("application__agency")
        .order_by("created_at")
    )
    for payment in open_payments:
        try:
            event = gateway_get(payment.gateway).status(payment)
        except Exception as exc:  # one gateway or account down: the others still reconcile
            logger.warning("reconciler could not ask about %s: %s", payment.order_id, exc)
            continue
        report.asked += 1
        if event is None:
            continue
        try:
            outcome = payment_apply_gateway_event(event=event, source="reconciler")
        except PaymentRefused as exc:
            logger.warning("reconciler: %s refused: %s", payment.order_id, exc)
            continue
        if outcome.applied:
            report.applied.append(payment.order_id)
    due = Payment.objects.filter(state=Payment.State.UNAPPLIED).exclude(
        refunds__state__in=[PaymentRefund.State.PROCESSED, PaymentRefund.State.REFUSED]
    )
    for payment_id in due.values_list("pk", flat=True):
        refund = payment_refund_unapplied(payment_id=payment_id)
        if refund is not None and refund.gateway_refund_id:
            report.refunds += 1
    return report
