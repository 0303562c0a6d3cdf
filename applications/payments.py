"""Payment gateways. The portal talks to a gateway through `PaymentGateway`; the shipped one
is a sandbox whose hosted page is part of the portal itself and which signs everything it
sends (the browser's return and the server-to-server notification) with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any, Protocol

from django.urls import reverse
from django.utils.crypto import salted_hmac

from .models import Payment


class PaymentGateway(Protocol):
    name: str

    def checkout_url(self, payment: Payment) -> str:
        """Where to send the browser to pay."""

    def sign(self, payload: dict[str, Any]) -> str: ...

    def verify(self, payload: dict[str, Any], signature: str) -> bool: ...


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes that are signed: keys sorted, every value a string."""
    return json.dumps(
        {k: str(v) for k, v in payload.items()}, sort_keys=True, separators=(",", ":")
    ).encode()


class SandboxGateway:
    name = "sandbox"

    def _secret(self) -> bytes:
        # Read when used, not at import, so tests and operators can change it.
        secret = os.environ.get("PAYMENT_SANDBOX_SECRET")
        if secret:
            return secret.encode()
        return salted_hmac("applications.payments.sandbox", "signing-secret").digest()

    def checkout_url(self, payment: Payment) -> str:
        return reverse("applications:payment-sandbox", args=[payment.order_id])

    def sign(self, payload: dict[str, Any]) -> str:
        return hmac.new(self._secret(), canonical(payload), hashlib.sha256).hexdigest()

    def verify(self, payload: dict[str, Any], signature: str) -> bool:
        return hmac.compare_digest(self.sign(payload), signature or "")


def gateway_get(name: str = "sandbox") -> PaymentGateway:
    if name != "sandbox":
        raise LookupError(f"Unknown payment gateway {name!r}")
    return SandboxGateway()
