"""The fee: computed on the server, paid through the sandbox gateway, captured exactly once."""

from __future__ import annotations

import json
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse

from applications.models import Payment, PaymentEvent
from applications.payments import gateway_get

pytestmark = pytest.mark.django_db
NOTIFY = "/applications/payments/notify/"


def start(client, application) -> Payment:
    response = client.post(reverse("applications:pay", args=[application.reference]))
    payment = Payment.objects.get(application=application, state="created")
    assert response["Location"] == reverse("applications:payment-sandbox", args=[payment.order_id])
    return payment


def choose(client, payment, outcome):
    return client.post(
        reverse("applications:payment-sandbox", args=[payment.order_id]), {"outcome": outcome}
    )


def event(payment, **changes) -> dict:
    payload = {
        "order_id": payment.order_id,
        "event_id": "EVT-1",
        "status": "captured",
        "amount": f"{payment.amount:.2f}",
        "currency": "INR",
        "gateway_reference": "SBX123",
    }
    payload.update(changes)
    return payload


def notify(client, payload, signature=None):
    signature = gateway_get().sign(payload) if signature is None else signature
    return client.post(
        NOTIFY,
        json.dumps(payload),
        content_type="application/json",
        headers={"X-Signature": signature},
    )


def test_the_amount_comes_from_the_fee_schedule(alice_client, ready):
    payment = start(alice_client, ready)
    assert payment.amount == Decimal("500.00")


def test_a_successful_sandbox_payment_is_captured_and_has_a_receipt(alice_client, ready):
    payment = start(alice_client, ready)
    response = alice_client.get(choose(alice_client, payment, "captured")["Location"])
    assert response["Location"] == reverse("applications:receipt", args=[ready.reference])
    payment.refresh_from_db()
    assert payment.state == "captured"
    # The notification and the browser's return carry the same event: applied once.
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    receipt = alice_client.get(response["Location"])
    assert payment.gateway_reference in receipt.content.decode()


def test_a_double_click_on_pay_opens_one_payment(alice_client, ready):
    start(alice_client, ready)
    start(alice_client, ready)
    assert Payment.objects.filter(application=ready).count() == 1


def test_a_failed_payment_keeps_the_draft_intact(alice_client, ready):
    payment = start(alice_client, ready)
    response = alice_client.get(choose(alice_client, payment, "failed")["Location"])
    assert response["Location"] == reverse("applications:tasks", args=[ready.reference])
    payment.refresh_from_db()
    ready.refresh_from_db()
    assert payment.state == "failed"
    assert ready.status == "draft"
    assert ready.items.count() == 1
    assert ready.documents.count() == 2
    # and they can pay again
    second = start(alice_client, ready)
    assert second.pk != payment.pk


def test_a_forged_signature_is_refused(client, alice_client, ready, caplog):
    payment = start(alice_client, ready)
    response = notify(client, event(payment), signature="0" * 64)
    assert response.status_code == 400
    assert "bad signature" in caplog.text
    notify(client, event(payment, event_id="EVT-2"))
    assert Payment.objects.filter(application=ready, state="captured").count() == 1


def test_a_changed_amount_is_refused(client, alice_client, ready, caplog):
    payment = start(alice_client, ready)
    response = notify(client, event(payment, amount="1.00"))
    assert response.status_code == 400
    assert "differs" in caplog.text
    payment.refresh_from_db()
    assert payment.state == "created"
    notify(client, event(payment, event_id="EVT-2"))
    assert Payment.objects.filter(application=ready, state="captured").count() == 1


def test_a_replayed_notification_changes_nothing(client, alice_client, ready):
    payment = start(alice_client, ready)
    first = notify(client, event(payment))
    assert first.json() == {"ok": True, "applied": True, "replay": False}
    again = notify(client, event(payment))
    assert again.json() == {"ok": True, "applied": False, "replay": True}
    assert Payment.objects.filter(application=ready, state="captured").count() == 1
    assert PaymentEvent.objects.count() == 1


def test_a_late_failure_never_undoes_a_capture(client, alice_client, ready):
    payment = start(alice_client, ready)
    notify(client, event(payment))
    notify(client, event(payment, event_id="EVT-2", status="failed", gateway_reference=""))
    payment.refresh_from_db()
    assert payment.state == "captured"


def test_a_tampered_return_url_is_refused(alice_client, ready):
    payment = start(alice_client, ready)
    location = choose(alice_client, payment, "failed")["Location"]
    query = dict(parse_qsl(urlsplit(location).query))
    query.update(status="captured", event_id="EVT-X")
    alice_client.get(reverse("applications:payment-return"), query)
    payment.refresh_from_db()
    assert payment.state == "failed"


def test_the_fee_cannot_be_paid_twice(alice_client, ready):
    payment = start(alice_client, ready)
    choose(alice_client, payment, "captured")
    alice_client.post(reverse("applications:pay", args=[ready.reference]))
    assert Payment.objects.filter(application=ready).count() == 1


def test_a_card_payment_taken_after_the_wallet_paid_the_fee_is_recorded_not_applied(
    alice, alice_client, ready
):
    """The card checkout was left open, the fee was paid from the wallet, then the gateway
    took the card all the same: the fee stays paid once, the card payment is on record as
    unapplied and refunded, and the page says the card was charged (not "nothing was")."""
    from applications.models import TaxInvoice

    from .wallet_helpers import fund

    card = start(alice_client, ready)
    fund(alice, 1000)
    alice_client.post(reverse("applications:pay-wallet", args=[ready.reference]))
    card.refresh_from_db()
    assert card.state == "cancelled"  # the portal no longer expects it

    page = alice_client.get(choose(alice_client, card, "captured")["Location"], follow=True)
    card.refresh_from_db()
    assert card.state == "unapplied"
    assert ready.payments.filter(state="captured").count() == 1  # the wallet's
    assert TaxInvoice.objects.filter(payment__application=ready).count() == 1
    text = page.content.decode()
    assert "Your card was charged INR 500.00" in text
    assert f"Quote order {card.order_id}" in text
    assert "nothing was charged" not in text
    assert ready.events.filter(note__contains="is being refunded to the card").exists()


def test_a_card_payment_taken_after_a_withdrawal_is_recorded_not_applied(
    alice, alice_client, ready
):
    from applications import workflow

    card = start(alice_client, ready)
    workflow.application_withdraw(application_id=ready.pk, exporter=alice)
    card.refresh_from_db()
    assert card.state == "cancelled"
    notify(alice_client, event(card))
    card.refresh_from_db()
    assert card.state == "unapplied"
    assert not ready.payments.filter(state="captured").exists()
    assert ready.events.filter(note__contains="the application is withdrawn").exists()


def test_a_changed_fee_cancels_the_checkout_opened_for_the_old_one(alice_client, ready):
    first = start(alice_client, ready)
    Payment.objects.filter(pk=first.pk).update(amount=Decimal("400.00"))  # the fee changed
    alice_client.post(reverse("applications:pay", args=[ready.reference]))
    first.refresh_from_db()
    assert first.state == "cancelled"
    assert ready.payments.filter(state="created").count() == 1


# -- who paid, on the timeline (issue 33: never "paid by the system") ---------------------------


def payment_event_line(client, application) -> str:
    page = client.get(reverse("applications:detail", args=[application.reference])).content
    text = " ".join(page.decode().split())
    start = text.index("<strong>Fee paid</strong>")
    return text[start : text.index("</li>", start)]


def test_a_fee_paid_on_the_return_from_the_gateway_names_the_payer(alice, alice_client, ready):
    payment = start(alice_client, ready)
    payload = event(payment)
    signature = gateway_get().sign(payload)
    query = "&".join(f"{k}={v}" for k, v in {**payload, "signature": signature}.items())
    alice_client.get(f"{reverse('applications:payment-return')}?{query}")
    paid = ready.events.get(kind="payment")
    assert paid.actor == alice
    assert paid.note == "Fee of INR 500.00 paid by card (transaction SBX123)."
    assert "by you" in payment_event_line(alice_client, ready)


def test_a_fee_confirmed_by_the_gateways_webhook_says_so_and_who_opened_the_checkout(
    alice, alice_client, client, ready
):
    payment = start(alice_client, ready)
    assert notify(client, event(payment)).status_code == 200
    paid = ready.events.get(kind="payment")
    assert paid.actor is None
    name = alice.get_full_name() or alice.username
    assert paid.note == (
        "Fee of INR 500.00 paid by card (transaction SBX123; checkout opened by "
        f"{name}; recorded on the payment gateway's confirmation)."
    )
    line = payment_event_line(alice_client, ready)
    assert "on the payment gateway's confirmation" in line
    assert "by the system" not in line
