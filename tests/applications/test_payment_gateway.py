"""The payment gateway is chosen explicitly; the sandbox never takes a fee in production."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from applications.checks import payment_gateway_check
from applications.models import Payment
from applications.payments import SandboxGateway
from tests.clients import verified_client

pytestmark = pytest.mark.django_db

PRODUCTION = {"DEBUG": False, "TESTING": False, "PAYMENT_SANDBOX_ALLOWED_ON_STAGING": False}
BANNER = "Staging: payments are simulated."


@pytest.fixture
def production(settings):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    settings.PAYMENT_GATEWAY = "sandbox"
    return settings


@pytest.fixture
def open_payment(alice_client, ready) -> Payment:
    alice_client.post(reverse("applications:pay", args=[ready.reference]))
    return Payment.objects.get(application=ready, state="created")


def captured_event(payment: Payment) -> dict[str, str]:
    return {
        "order_id": payment.order_id,
        "event_id": "EVT-PROD-1",
        "status": "captured",
        "amount": f"{payment.amount:.2f}",
        "currency": payment.currency,
        "gateway_reference": "SBX1",
    }


def test_the_system_check_refuses_the_sandbox_with_debug_off(production):
    errors = payment_gateway_check()
    assert [e.id for e in errors] == ["applications.E001"]
    assert "sandbox" in errors[0].msg
    with pytest.raises(SystemCheckError, match=r"applications\.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_the_system_check_refuses_an_unset_or_unknown_gateway(production):
    production.PAYMENT_GATEWAY = ""
    assert "not set" in payment_gateway_check()[0].msg
    production.PAYMENT_GATEWAY = "paypal"
    assert "names no gateway" in payment_gateway_check()[0].msg


def test_the_system_check_accepts_the_sandbox_in_development_and_on_a_named_staging_site(
    production,
):
    production.DEBUG = True
    assert payment_gateway_check() == []
    production.DEBUG = False
    production.PAYMENT_SANDBOX_ALLOWED_ON_STAGING = True
    assert payment_gateway_check() == []


def test_with_debug_off_the_sandbox_page_answers_404_and_no_fee_is_paid(
    alice_client, open_payment, production
):
    sandbox = reverse("applications:payment-sandbox", args=[open_payment.order_id])
    assert alice_client.get(sandbox).status_code == 404
    assert alice_client.post(sandbox, {"outcome": "captured"}).status_code == 404
    open_payment.refresh_from_db()
    assert open_payment.state == "created"


def test_with_debug_off_a_sandbox_signed_notification_is_refused(client, open_payment, production):
    payload = captured_event(open_payment)
    # Signed with the sandbox's real key: the signature is right, the gateway is not allowed.
    signature = SandboxGateway().sign(payload)
    response = client.post(
        reverse("applications:payment-notify"),
        json.dumps(payload),
        content_type="application/json",
        headers={"X-Signature": signature},
    )
    assert response.status_code == 400
    open_payment.refresh_from_db()
    assert open_payment.state == "created"


def test_with_debug_off_pay_says_payment_is_unavailable_and_opens_nothing(
    alice_client, ready, production
):
    response = alice_client.post(reverse("applications:pay", args=[ready.reference]), follow=True)
    assert "Online payment is not available at the moment; nothing was charged." in (
        response.content.decode()
    )
    assert not Payment.objects.filter(application=ready).exists()


def test_pay_with_a_checkout_open_says_payment_is_unavailable_too(
    alice_client, ready, open_payment, production
):
    """The checkout opened earlier is on the gateway's page, which is not there now: a
    message, not an error page (found by review)."""
    response = alice_client.post(reverse("applications:pay", args=[ready.reference]), follow=True)
    assert response.status_code == 200
    assert "Online payment is not available at the moment; nothing was charged." in (
        response.content.decode()
    )


def test_a_staging_site_takes_simulated_payments_and_says_so_on_every_page(
    alice_client, open_payment, production, ready
):
    production.PAYMENT_SANDBOX_ALLOWED_ON_STAGING = True
    sandbox = reverse("applications:payment-sandbox", args=[open_payment.order_id])
    page = alice_client.get(sandbox)
    assert page.status_code == 200
    assert BANNER in page.content.decode()
    assert BANNER in alice_client.get(reverse("home")).content.decode()
    alice_client.post(sandbox, {"outcome": "captured"})
    open_payment.refresh_from_db()
    assert open_payment.state == "captured"


def test_the_staging_banner_shows_in_admin_too(production, ada):
    production.PAYMENT_SANDBOX_ALLOWED_ON_STAGING = True
    ada.is_superuser = True
    ada.save()
    assert BANNER in verified_client(ada).get(reverse("admin:index")).content.decode()


def test_no_banner_where_payments_are_real_or_in_development(alice_client, settings):
    settings.DEBUG = True
    assert BANNER not in alice_client.get(reverse("home")).content.decode()
