"""Razorpay, through its own SDK (`razorpay` on PyPI): every issuing agency collects its fees into
its own merchant account, with its own key pair and webhook secret (settings.RAZORPAY_ACCOUNTS,
one entry per agency code).

The flow, as Razorpay documents Standard Checkout:
1. `open()` creates an order (amount in paise, our order id as the receipt, auto-capture);
2. the portal's checkout page loads checkout.js (the only third-party script the CSP allows,
   on that page only) with the agency's public key id and the order id;
3. the browser hands back razorpay_order_id, razorpay_payment_id and razorpay_signature
   (HMAC-SHA256 of "order_id|payment_id" under the key secret): `return_event()` checks the
   signature with the SDK and then asks Razorpay for the payment itself (a status query: the
   amount and currency applied are Razorpay's answer, never the browser's);
4. Razorpay's webhook (payment.captured, payment.failed, order.paid) is signed over the raw
   body with the agency's webhook secret: `webhook_event()` checks it with the SDK;
5. the reconciler asks `status()` about orders still open after a few minutes, and a capture
   nobody needs is given back through `refund()`.

Every answer is turned into the portal's own event (payments.GatewayEvent), whose id is the
same whichever route brings it ("razorpay:<payment id>:<status>"), so that the webhook, the
browser's return and the reconciler apply a capture once between them.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import razorpay
import requests
from django.conf import settings
from django.urls import reverse
from razorpay.errors import BadRequestError, GatewayError, ServerError, SignatureVerificationError

from .models import Payment
from .payment_types import (
    GatewayEvent,
    GatewayUnavailable,
    RefundRefused,
    RefundResult,
    SettlementLine,
    env_suffix,
)

logger = logging.getLogger(__name__)

RAZORPAY = "razorpay"
CHECKOUT_SCRIPT = "https://checkout.razorpay.com/v1/checkout.js"
CHECKOUT_FRAME = "https://api.razorpay.com"
# Razorpay's payment states (docs: Payments, "Payment Life Cycle") and ours.
_CAPTURED, _FAILED = "captured", "failed"
_UNREACHABLE = (requests.RequestException, ServerError, GatewayError)


def account_for(agency_code: str) -> dict[str, str] | None:
    """The agency's merchant account (key_id, key_secret, webhook_secret), if it is complete."""
    account = settings.RAZORPAY_ACCOUNTS.get(env_suffix(agency_code))
    if not account or not all(account.get(k) for k in ("key_id", "key_secret", "webhook_secret")):
        return None
    return account


def client_for(agency_code: str) -> razorpay.Client:
    account = account_for(agency_code)
    if account is None:
        raise GatewayUnavailable(f"No Razorpay account is configured for agency {agency_code}.")
    client = razorpay.Client(auth=(account["key_id"], account["key_secret"]))
    client.set_app_details({"title": "COO Portal", "version": "1"})
    return client


def _agency(payment: Payment) -> str:
    return str(payment.application.agency.code)


def _paise(payment: Payment) -> int:
    return int(payment.amount * 100)


def _event(
    payment: Payment, *, entity: dict[str, Any], status: str, event_id: str = ""
) -> GatewayEvent:
    """Razorpay's payment entity as the portal's event (amount from paise to rupees)."""
    return GatewayEvent(
        order_id=payment.order_id,
        event_id=event_id or f"razorpay:{entity.get('id', '')}:{status}",
        status=status,
        amount=f"{Decimal(int(entity.get('amount', 0))) / 100:.2f}",
        currency=str(entity.get("currency", "")),
        gateway_reference=str(entity.get("id", "")),
    )


class RazorpayGateway:
    """The PaymentGateway for Razorpay (see the module doc)."""

    name = RAZORPAY
    takes_top_ups = False  # top-ups are paid to the platform, which has no Razorpay account here
    csp = {"script-src": [CHECKOUT_SCRIPT], "frame-src": [CHECKOUT_FRAME]}

    def problem_for(self, agency_code: str) -> str | None:
        if account_for(agency_code) is None:
            suffix = env_suffix(agency_code)
            return (
                f"Agency {agency_code} has no Razorpay account: set RAZORPAY_KEY_ID_{suffix}, "
                f"RAZORPAY_KEY_SECRET_{suffix} and RAZORPAY_WEBHOOK_SECRET_{suffix}."
            )
        return None

    def open(self, payment: Payment) -> str:
        """Create the order at Razorpay; its id is what the checkout pays."""
        try:
            order = client_for(_agency(payment)).order.create(
                {
                    "amount": _paise(payment),
                    "currency": payment.currency,
                    "receipt": payment.order_id,
                    "notes": {"application": payment.application.reference},
                    "payment_capture": 1,
                },
                timeout=settings.RAZORPAY_TIMEOUT_SECONDS,
            )
        except (*_UNREACHABLE, BadRequestError) as exc:
            logger.error("Razorpay order for %s not created: %s", payment.order_id, exc)
            raise GatewayUnavailable("Razorpay did not open the order.") from exc
        return str(order["id"])

    def checkout_url(self, payment: Payment) -> str:
        return reverse("applications:payment-checkout", args=[payment.order_id])

    def checkout_options(self, payment: Payment) -> dict[str, Any]:
        """What checkout.js is given (public values only: the key id is not a secret)."""
        account = account_for(_agency(payment)) or {}
        application = payment.application
        return {
            "key": account.get("key_id", ""),
            "amount": _paise(payment),
            "currency": payment.currency,
            "order_id": payment.gateway_order_id,
            "name": application.agency.name,
            "description": f"Certificate of origin fee, {application.reference}",
        }

    def sign(self, payload: dict[str, Any]) -> str:
        raise NotImplementedError("Razorpay signs its own messages.")

    def verify(self, payload: dict[str, Any], signature: str) -> bool:
        """Razorpay's messages come by their own routes (return_event, webhook_event), never
        as the sandbox's signed events."""
        return False

    def return_event(self, payment: Payment, params: dict[str, str]) -> GatewayEvent | None:
        """The browser's return: the payment signature checked, then the payment fetched."""
        client = client_for(_agency(payment))
        values = {
            "razorpay_order_id": payment.gateway_order_id,
            "razorpay_payment_id": params.get("razorpay_payment_id", ""),
            "razorpay_signature": params.get("razorpay_signature", ""),
        }
        if params.get("razorpay_order_id") != payment.gateway_order_id:
            return None
        try:
            client.utility.verify_payment_signature(values)
        except SignatureVerificationError:
            return None
        try:
            return self._fetched(client, payment, values["razorpay_payment_id"])
        except (*_UNREACHABLE, BadRequestError) as exc:
            raise GatewayUnavailable(f"Razorpay did not answer about the payment: {exc}") from exc

    def _fetched(
        self, client: razorpay.Client, payment: Payment, payment_id: str
    ) -> GatewayEvent | None:
        entity = client.payment.fetch(payment_id, timeout=settings.RAZORPAY_TIMEOUT_SECONDS)
        if entity.get("order_id") != payment.gateway_order_id:
            return None
        status = {_CAPTURED: "captured", _FAILED: "failed"}.get(entity.get("status", ""))
        return _event(payment, entity=entity, status=status) if status else None

    def parse_notification(
        self, agency_code: str, body: bytes, signature: str
    ) -> tuple[str, dict[str, Any]] | None:
        """(gateway order id, payment entity) of a webhook whose signature is the agency's,
        or None for a bad signature. Events other than a payment's capture or failure give
        ("", {})."""
        account = account_for(agency_code)
        if account is None:
            return None
        client = client_for(agency_code)
        try:
            client.utility.verify_webhook_signature(
                body.decode(), signature, account["webhook_secret"]
            )
        except (SignatureVerificationError, UnicodeDecodeError):
            return None
        message = json.loads(body)
        if message.get("event") not in {"payment.captured", "payment.failed", "order.paid"}:
            return "", {}
        entity = message.get("payload", {}).get("payment", {}).get("entity", {})
        return str(entity.get("order_id", "")), entity

    def event_from_notice(self, payment: Payment, entity: dict[str, Any]) -> GatewayEvent | None:
        status = {_CAPTURED: "captured", _FAILED: "failed"}.get(entity.get("status", ""))
        return _event(payment, entity=entity, status=status) if status else None

    def status(self, payment: Payment) -> GatewayEvent | None:
        """Ask Razorpay about the order's payments: a capture wins over failed attempts; None
        while nothing is final (the payer may still be on the checkout)."""
        client = client_for(_agency(payment))
        answer = client.order.payments(
            payment.gateway_order_id, timeout=settings.RAZORPAY_TIMEOUT_SECONDS
        )
        entities = answer.get("items", [])
        for wanted in (_CAPTURED, _FAILED):
            for entity in entities:
                if entity.get("status") == wanted:
                    return _event(payment, entity=entity, status=wanted)
        return None

    def refund(self, payment: Payment, amount_paise: int) -> RefundResult:
        """Refund `amount_paise` of the captured payment (partial refunds allowed)."""
        client = client_for(_agency(payment))
        try:
            refund = client.payment.refund(
                payment.gateway_reference,
                {"amount": amount_paise, "receipt": f"R-{payment.order_id}"[:40]},
                timeout=settings.RAZORPAY_TIMEOUT_SECONDS,
            )
        except BadRequestError as exc:  # Razorpay refuses: already refunded, amount too large
            raise RefundRefused(str(exc)) from exc
        return RefundResult(
            refund_id=str(refund["id"]),
            amount_paise=int(refund.get("amount", amount_paise)),
            processed=refund.get("status") == "processed",
        )

    def settlement_report(
        self, agency_code: str, year: int, month: int, day: int
    ) -> list[SettlementLine]:
        """Razorpay's settlement recon for one day (settlements/recon/combined)."""
        client = client_for(agency_code)
        answer = client.settlement.report(
            {"year": year, "month": month, "day": day},
            timeout=settings.RAZORPAY_TIMEOUT_SECONDS,
        )
        return [
            SettlementLine(
                entity_id=str(item.get("entity_id", "")),
                kind=str(item.get("type", "")),
                order_id=str(item.get("order_id") or ""),
                amount_paise=int(item.get("amount", 0)),
                fee_paise=int(item.get("fee") or 0),
                tax_paise=int(item.get("tax") or 0),
                settlement_id=str(item.get("settlement_id") or ""),
            )
            for item in answer.get("items", [])
        ]
