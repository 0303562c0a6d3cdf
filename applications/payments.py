"""Payment gateways. The portal talks to a gateway through `PaymentGateway`, and uses the one
named by the PAYMENT_GATEWAY setting; nothing picks one by default in production.

The only gateway shipped is the sandbox, whose hosted page is part of the portal itself and
which signs everything it sends (the browser's return and the server-to-server notification)
with HMAC-SHA256. It takes no money: whoever reaches its page chooses the outcome. So it works
only in development, in tests, or on a staging site that says so with
PAYMENT_SANDBOX_ALLOWED_ON_STAGING (which puts a banner on every page). Anywhere else a system
check refuses it, its page answers 404 and its signatures are not accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Application, Payment

SANDBOX = "sandbox"


class GatewayUnavailable(LookupError):  # noqa: N818 - reads as the outcome, like Http404
    """No usable gateway: unknown name, or the sandbox where it is not allowed."""


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


def sandbox_allowed() -> bool:
    """Development and tests, or a staging site that allows simulated payments by name."""
    return bool(settings.DEBUG or settings.TESTING or settings.PAYMENT_SANDBOX_ALLOWED_ON_STAGING)


class SandboxGateway:
    name = SANDBOX

    def _secret(self) -> bytes:
        if settings.PAYMENT_SANDBOX_SECRET:
            return settings.PAYMENT_SANDBOX_SECRET.encode()
        return salted_hmac("applications.payments.sandbox", "signing-secret").digest()

    def checkout_url(self, payment: Payment) -> str:
        return reverse("applications:payment-sandbox", args=[payment.order_id])

    def sign(self, payload: dict[str, Any]) -> str:
        return hmac.new(self._secret(), canonical(payload), hashlib.sha256).hexdigest()

    def verify(self, payload: dict[str, Any], signature: str) -> bool:
        # Checked here as well as in gateway_get(): a sandbox signature is never proof of
        # payment where the sandbox is not allowed, whoever holds the gateway object.
        return sandbox_allowed() and hmac.compare_digest(self.sign(payload), signature or "")


GATEWAYS: dict[str, type[PaymentGateway]] = {SANDBOX: SandboxGateway}


def gateway_problem(name: str) -> str | None:
    """Why the gateway called `name` cannot take payments here, or None if it can."""
    if not name:
        return "PAYMENT_GATEWAY is not set: no payment gateway is chosen."
    if name not in GATEWAYS:
        return f"PAYMENT_GATEWAY={name!r} names no gateway this portal has ({', '.join(GATEWAYS)})."
    if name == SANDBOX and not sandbox_allowed():
        return (
            "PAYMENT_GATEWAY=sandbox with DEBUG off: the sandbox takes no money and lets the "
            "payer choose the outcome."
        )
    return None


def gateway_get(name: str | None = None) -> PaymentGateway:
    """The gateway called `name` (default: the one PAYMENT_GATEWAY chooses)."""
    chosen: str = settings.PAYMENT_GATEWAY if name is None else name
    problem = gateway_problem(chosen)
    if problem:
        raise GatewayUnavailable(problem)
    return GATEWAYS[chosen]()


def sandbox_active() -> bool:
    """Whether the sandbox is the gateway in use and may take (simulated) payments."""
    return settings.PAYMENT_GATEWAY == SANDBOX and gateway_problem(SANDBOX) is None


def gateway_notification_answer(
    request: HttpRequest, apply: Callable[..., Any], refused: type[Exception]
) -> JsonResponse:
    """The answer to a gateway's server-to-server notification (fees and top-ups alike): the
    body parsed as a JSON object, `apply(payload=, signature=, source=)` called, and what it did
    reported; `refused` is the exception `apply` raises for a notice it will not take."""
    try:
        payload = json.loads(request.body)
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"ok": False, "error": "bad request"}, status=400)
    try:
        outcome = apply(
            payload=payload, signature=request.headers.get("X-Signature", ""), source="notification"
        )
    except refused as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    if outcome.refused:
        return JsonResponse({"ok": False, "error": outcome.refused}, status=400)
    return JsonResponse({"ok": True, "applied": outcome.applied, "replay": outcome.replay})


def cancel_open_payments(application: Application) -> int:
    """Cancel the application's card checkouts still open (its fee was paid from the wallet,
    the fee changed, or it was withdrawn). Should the gateway still take one, _apply records
    it as unapplied. Call inside the transaction that locked the application."""
    return application.payments.filter(state=Payment.State.CREATED).update(
        state=Payment.State.CANCELLED, updated_at=timezone.now()
    )
