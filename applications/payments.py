"""Payment gateways. The portal talks to a gateway through `PaymentGateway`, and uses the one
named by the PAYMENT_GATEWAY setting; nothing picks one by default in production.

The only gateway shipped is the sandbox, whose hosted page is part of the portal itself and
which signs everything it sends (the browser's return and the server-to-server notification)
with HMAC-SHA256. It takes no money: whoever reaches its page chooses the outcome. So it works
only in development, in tests, or on a staging site that says so with
PAYMENT_SANDBOX_ALLOWED_ON_STAGING (which puts a banner on every page). Anywhere else a system
check refuses it, its page answers 404 and its signatures are not accepted.

Razorpay (gateway_razorpay.py) is the real gateway: every issuing agency collects into its own
merchant account. Adding another gateway (SBIePay, PayU, a bank aggregator) is one class that
meets `PaymentGateway` below, listed in GATEWAYS: it opens an order, names the page that takes
the payer there, turns what comes back (the browser's return, the server-to-server
notification, the answer to a status query) into a `GatewayEvent`, refunds, and reads the
settlement file. The services do the rest (payments applied once, the reconciler, refunds of
captures nobody needs): see docs/payments.md.
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

from .gateway_razorpay import RAZORPAY, RazorpayGateway
from .models import Application, Payment
from .payment_types import (
    GatewayEvent,
    GatewayUnavailable,
    RefundRefused,
    RefundResult,
    SettlementLine,
)

SANDBOX = "sandbox"

__all__ = ["GatewayEvent", "GatewayUnavailable", "RefundRefused", "RefundResult", "SettlementLine"]


class PaymentGateway(Protocol):
    """What the portal asks of a gateway. Methods that take a Payment find the merchant account
    from its application's issuing agency (each agency collects into its own account)."""

    name: str
    takes_top_ups: bool  # whether wallet top-ups (paid to the platform) can go through it
    # Sources the gateway's checkout needs beyond 'self', added to the CSP of the checkout
    # page only (for example {"script-src": [...]}).
    csp: dict[str, list[str]]

    def problem_for(self, agency_code: str) -> str | None:
        """Why this agency cannot take payments through the gateway (no account), or None."""

    def open(self, payment: Payment) -> str:
        """Open the order at the gateway; its id there (stored as gateway_order_id).
        Raises GatewayUnavailable when the gateway does not answer."""

    def checkout_url(self, payment: Payment) -> str:
        """Where to send the browser to pay."""

    def sign(self, payload: dict[str, Any]) -> str: ...

    def verify(self, payload: dict[str, Any], signature: str) -> bool:
        """Whether the portal-shaped event `payload` carries the gateway's signature (the
        sandbox's route; a gateway with routes of its own answers False)."""

    def return_event(self, payment: Payment, params: dict[str, str]) -> GatewayEvent | None:
        """What the browser brought back from the checkout, checked (its signature, and the
        gateway asked where it can be): the event, or None when it cannot be trusted."""

    def parse_notification(
        self, agency_code: str, body: bytes, signature: str
    ) -> tuple[str, dict[str, Any]] | None:
        """A server-to-server notification for the agency's account, its signature checked
        over the raw body: (the gateway's order id, its payment entity), ("", {}) for a
        notification about something else, None for a bad signature."""

    def event_from_notice(self, payment: Payment, entity: dict[str, Any]) -> GatewayEvent | None:
        """The event a parsed notification reports about `payment` (None: nothing final)."""

    def status(self, payment: Payment) -> GatewayEvent | None:
        """Ask the gateway what became of the order ("double verification"): the event, or
        None while nothing is final."""

    def refund(self, payment: Payment, amount_paise: int) -> RefundResult:
        """Give `amount_paise` of a captured payment back to the card. Raises RefundRefused
        when the gateway says no."""

    def settlement_report(
        self, agency_code: str, year: int, month: int, day: int
    ) -> list[SettlementLine]:
        """The gateway's settlement file for the agency's account and that day."""


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
    takes_top_ups = True
    csp: dict[str, list[str]] = {}

    def problem_for(self, agency_code: str) -> str | None:
        return None

    def open(self, payment: Payment) -> str:
        return payment.order_id

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

    def return_event(self, payment: Payment, params: dict[str, str]) -> GatewayEvent | None:
        payload = {k: params.get(k, "") for k in GatewayEvent.__dataclass_fields__}
        if payload["order_id"] != payment.order_id:
            return None
        if not self.verify(payload, params.get("signature", "")):
            return None
        return GatewayEvent(**payload)

    def parse_notification(
        self, agency_code: str, body: bytes, signature: str
    ) -> tuple[str, dict[str, Any]] | None:
        return None  # the sandbox's notifications come as signed events (payment_apply_event)

    def event_from_notice(self, payment: Payment, entity: dict[str, Any]) -> GatewayEvent | None:
        return None

    def status(self, payment: Payment) -> GatewayEvent | None:
        """The sandbox keeps no record beyond the events it sent: nothing more to learn."""
        return None

    def refund(self, payment: Payment, amount_paise: int) -> RefundResult:
        if not sandbox_allowed():
            raise RefundRefused("The sandbox refunds nothing here.")
        return RefundResult(
            refund_id=f"SBXRF{payment.pk:08d}", amount_paise=amount_paise, processed=True
        )

    def settlement_report(
        self, agency_code: str, year: int, month: int, day: int
    ) -> list[SettlementLine]:
        return []


GATEWAYS: dict[str, type[PaymentGateway]] = {SANDBOX: SandboxGateway, RAZORPAY: RazorpayGateway}


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


def gateway_agency_problems(name: str, agency_codes: list[str]) -> list[str]:
    """Why each of these agencies cannot take payments through the gateway `name`."""
    if name not in GATEWAYS:
        return []
    gateway = GATEWAYS[name]()
    return [p for p in (gateway.problem_for(code) for code in agency_codes) if p]


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
