"""Helpers for the fee wallet's tests: signed sandbox events and a funded wallet."""

from __future__ import annotations

import itertools

from django.db import transaction

from accounts.models import User
from applications import wallet
from applications.models import Wallet, WalletTopUp
from applications.payments import SandboxGateway

_events = itertools.count(1)


def top_up_event(top_up: WalletTopUp, *, status: str = "captured", event_id: str = "") -> dict:
    payload = {
        "order_id": top_up.order_id,
        "event_id": event_id or f"EVT-TEST-{next(_events)}",
        "status": status,
        "amount": f"{top_up.amount_paise // 100}.{top_up.amount_paise % 100:02d}",
        "currency": "INR",
        "gateway_reference": "SBXTEST" if status == "captured" else "",
    }
    return {"payload": payload, "signature": SandboxGateway().sign(payload)}


def fund(user: User, rupees: int) -> Wallet:
    """Top the user's firm's wallet up by `rupees` through a captured gateway event."""
    top_up = wallet.wallet_top_up_start(user=user, amount_rupees=rupees)
    with transaction.atomic():
        wallet.wallet_top_up_apply_event(**top_up_event(top_up), source="notification")
    return top_up.wallet


def world_top_up(user: User) -> WalletTopUp:
    """The user's captured top-up "TOP-WORLD" and its receipt, made once (for the
    security world's URLs, which ask for it once per URL)."""
    existing = WalletTopUp.objects.filter(order_id="TOP-WORLD").first()
    if existing is not None:
        return existing
    top_up = wallet.wallet_top_up_start(user=user, amount_rupees=500)
    WalletTopUp.objects.filter(pk=top_up.pk).update(order_id="TOP-WORLD")
    top_up.refresh_from_db()
    with transaction.atomic():
        wallet.wallet_top_up_apply_event(**top_up_event(top_up), source="notification")
    return top_up


def agents_may_pay_from_the_wallet(user: User) -> None:
    """The firm's setting (Agents page) that lets its authorised agents spend its wallet."""
    from accounts.models import FirmSettings

    FirmSettings.objects.update_or_create(
        firm=user.exporter_profile.iec_record, defaults={"agents_pay_from_wallet": True}
    )
