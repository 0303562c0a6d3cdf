"""Issue 26, acceptance 2 under real concurrency (PostgreSQL): Razorpay's webhook delivered
twice at the same moment, then three times more, applies the fee once."""

from __future__ import annotations

import pytest

from applications.gateway_services import payment_apply_notification
from applications.models import Payment, PaymentEvent, TaxInvoice
from tests import concurrency

from .razorpay_helpers import ACCOUNTS, WEBHOOK_SECRET, hmac_hex, payment_entity, webhook_body

pytestmark = [
    pytest.mark.postgres,
    concurrency.needs_row_locks,
    pytest.mark.django_db(transaction=True),
]


def test_a_webhook_delivered_twice_at_once_then_three_times_applies_the_fee_once(settings, ready):
    settings.PAYMENT_GATEWAY = "razorpay"
    settings.RAZORPAY_ACCOUNTS = ACCOUNTS
    payment = Payment.objects.create(
        application=ready,
        order_id="ORD-RACE-1",
        amount="500.00",
        gateway="razorpay",
        gateway_order_id="order_RACE00000001",
    )
    body = webhook_body(
        "payment.captured", payment_entity("pay_RACE000000001", "order_RACE00000001", 50000)
    )

    def deliver():
        return payment_apply_notification(
            gateway_name="razorpay",
            agency_code="EIC",
            body=body,
            signature=hmac_hex(WEBHOOK_SECRET, body),
        )

    answers = concurrency.run_together(2, deliver) + [deliver() for _ in range(3)]
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert sorted(a.body["applied"] for a in answers) == [False, False, False, False, True]
    assert Payment.objects.filter(application=ready, state="captured").count() == 1
    assert PaymentEvent.objects.filter(payment=payment).count() == 1
    assert TaxInvoice.objects.filter(payment=payment).count() == 1
