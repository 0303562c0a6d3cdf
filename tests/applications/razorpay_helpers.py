"""Razorpay as its API reference documents it (docs: Orders, Payments, Refunds, Settlements,
Webhooks "payment.captured"), replayed under the real SDK with HTTP stubbed at the transport
(`responses`). Shapes and field names are the documented ones; ids and amounts are the test's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import responses

from applications.models import Payment

API = "https://api.razorpay.com/v1"
KEY_ID = "rzp_test_1DP5mmOlF5G5ag"
KEY_SECRET = "thisisthetestkeysecret"  # the test account's, as settings would read it
WEBHOOK_SECRET = "thisisthetestwebhooksecret"
ACCOUNTS = {"EIC": {"key_id": KEY_ID, "key_secret": KEY_SECRET, "webhook_secret": WEBHOOK_SECRET}}


def hmac_hex(secret: str, message: str | bytes) -> str:
    raw = message.encode() if isinstance(message, str) else message
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def order_entity(order_id: str, amount: int, receipt: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "entity": "order",
        "amount": amount,
        "amount_paid": 0,
        "amount_due": amount,
        "currency": "INR",
        "receipt": receipt,
        "offer_id": None,
        "status": "created",
        "attempts": 0,
        "notes": [],
        "created_at": 1765100000,
    }


def payment_entity(
    payment_id: str,
    order_id: str,
    amount: int,
    *,
    status: str = "captured",
    currency: str = "INR",
) -> dict[str, Any]:
    return {
        "id": payment_id,
        "entity": "payment",
        "amount": amount,
        "currency": currency,
        "status": status,
        "order_id": order_id,
        "invoice_id": None,
        "international": False,
        "method": "card",
        "amount_refunded": 0,
        "refund_status": None,
        "captured": status == "captured",
        "description": "Certificate of origin fee",
        "card_id": "card_DZon6fd8J3IcA2",
        "bank": None,
        "wallet": None,
        "vpa": None,
        "email": "gaurav.kumar@example.com",
        "contact": "+919900000000",
        "notes": [],
        "fee": 1180,
        "tax": 180,
        "error_code": None if status == "captured" else "BAD_REQUEST_ERROR",
        "error_description": None if status == "captured" else "Payment failed",
        "created_at": 1765100100,
    }


def refund_entity(refund_id: str, payment_id: str, amount: int) -> dict[str, Any]:
    return {
        "id": refund_id,
        "entity": "refund",
        "amount": amount,
        "receipt": None,
        "currency": "INR",
        "payment_id": payment_id,
        "notes": [],
        "acquirer_data": {"arn": None},
        "created_at": 1765100200,
        "batch_id": None,
        "status": "processed",
        "speed_processed": "normal",
        "speed_requested": "normal",
    }


def webhook_body(event: str, entity: dict[str, Any]) -> bytes:
    """A webhook as Razorpay sends it: the raw JSON body its signature covers."""
    message = {
        "entity": "event",
        "account_id": "acc_BFQ7uQEaa7j2z7",
        "event": event,
        "contains": ["payment"],
        "payload": {"payment": {"entity": entity}},
        "created_at": 1765100150,
    }
    return json.dumps(message, separators=(",", ":")).encode()


def stub_order(mock: responses.RequestsMock, order_id: str = "order_EKwxwAgItmmXdp") -> None:
    def create(request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        return 200, {}, json.dumps(order_entity(order_id, body["amount"], body["receipt"]))

    mock.add_callback(responses.POST, f"{API}/orders", callback=create)


def stub_payment(mock: responses.RequestsMock, entity: dict[str, Any]) -> None:
    mock.add(responses.GET, f"{API}/payments/{entity['id']}", json=entity)


def stub_order_payments(
    mock: responses.RequestsMock, order_id: str, entities: list[dict[str, Any]]
) -> None:
    mock.add(
        responses.GET,
        f"{API}/orders/{order_id}/payments",
        json={"entity": "collection", "count": len(entities), "items": entities},
    )


def return_params(payment: Payment, payment_id: str, *, secret: str = KEY_SECRET) -> dict:
    """What Standard Checkout hands the page's handler on success."""
    return {
        "razorpay_order_id": payment.gateway_order_id,
        "razorpay_payment_id": payment_id,
        "razorpay_signature": hmac_hex(secret, f"{payment.gateway_order_id}|{payment_id}"),
    }
