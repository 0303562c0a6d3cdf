"""Issue 26: Razorpay, each agency collecting into its own merchant account. Razorpay cannot be
reached from here: its documented requests, answers and webhooks are replayed through the real
SDK with HTTP stubbed at the transport (tests/applications/razorpay_helpers.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import responses
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from applications.checks import payment_accounts_check, payment_gateway_check
from applications.gateway_razorpay import RazorpayGateway
from applications.gateway_services import payment_refund_unapplied, payments_reconcile
from applications.models import Payment, PaymentEvent, PaymentRefund, TaxInvoice
from applications.notifications import masked_email
from applications.payments import RefundRefused

from .razorpay_helpers import (
    ACCOUNTS,
    API,
    KEY_ID,
    WEBHOOK_SECRET,
    hmac_hex,
    payment_entity,
    refund_entity,
    return_params,
    stub_order,
    stub_order_payments,
    stub_payment,
    webhook_body,
)

pytestmark = pytest.mark.django_db

FEE_PAISE = 50000  # the preferential fee of the fixtures, INR 500.00


@pytest.fixture
def razorpay(settings):
    settings.PAYMENT_GATEWAY = "razorpay"
    settings.RAZORPAY_ACCOUNTS = ACCOUNTS
    return settings


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def opened(alice_client, ready, razorpay, api) -> Payment:
    stub_order(api)
    alice_client.post(reverse("applications:pay", args=[ready.reference]))
    return Payment.objects.get(application=ready, state="created")


def deliver(body: bytes, *, secret: str = WEBHOOK_SECRET, agency: str = "EIC"):
    """Razorpay's webhook: POST of the raw body, signed, from outside (no session, no CSRF)."""
    return Client(enforce_csrf_checks=True).post(
        reverse("applications:payment-webhook", args=[agency]),
        data=body,
        content_type="application/json",
        HTTP_X_RAZORPAY_SIGNATURE=hmac_hex(secret, body),
        HTTP_X_RAZORPAY_EVENT_ID="H3hUuwqWhCDOkE",
    )


def captured_webhook(payment: Payment, payment_id: str = "pay_29QQoUBi66xm2f", **kw) -> bytes:
    entity = payment_entity(payment_id, payment.gateway_order_id, kw.pop("amount", FEE_PAISE), **kw)
    return webhook_body("payment.captured", entity)


def come_back(client, payment: Payment, params: dict):
    url = reverse("applications:payment-checkout-return", args=[payment.order_id])
    return client.post(url, params)


# --- configuration ----------------------------------------------------------------------------


def test_with_debug_off_the_check_passes_with_each_agencys_keys_and_names_an_agency_without(
    razorpay, eic, fieo
):
    razorpay.DEBUG = False
    razorpay.TESTING = False
    assert payment_gateway_check() == []
    errors = payment_accounts_check()
    assert [e.id for e in errors] == ["applications.E002"]
    assert "FIEO" in errors[0].msg
    assert errors[0].msg.startswith("Agency FIEO has no Razorpay account")
    assert "RAZORPAY_KEY_SECRET_FIEO" in errors[0].msg
    razorpay.RAZORPAY_ACCOUNTS = {**ACCOUNTS, "FIEO": ACCOUNTS["EIC"]}
    assert payment_accounts_check() == []


def test_paying_opens_a_razorpay_order_for_the_fee_in_paise_in_the_agencys_account(opened, api):
    request = api.calls[0].request
    assert request.url == f"{API}/orders"
    body = json.loads(request.body)
    assert body["amount"] == FEE_PAISE
    assert body["currency"] == "INR"
    assert body["receipt"] == opened.order_id
    assert body["payment_capture"] == 1
    assert request.headers["Authorization"].startswith("Basic ")  # the EIC account's keys
    assert opened.gateway_order_id == "order_EKwxwAgItmmXdp"


def test_the_checkout_page_allows_razorpays_script_there_and_nowhere_else(
    alice_client, opened, ready
):
    page = alice_client.get(reverse("applications:payment-checkout", args=[opened.order_id]))
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    assert "https://checkout.razorpay.com/v1/checkout.js" in policy
    assert "frame-src https://api.razorpay.com" in policy
    assert KEY_ID in page.content.decode()  # the public key id, never the secret
    assert "thisisthetestkeysecret" not in page.content.decode()
    other = alice_client.get(reverse("applications:detail", args=[ready.reference]))
    assert "razorpay" not in other["Content-Security-Policy"]


def test_a_payment_of_another_firm_has_no_checkout_page(bob_client, opened):
    page = bob_client.get(reverse("applications:payment-checkout", args=[opened.order_id]))
    assert page.status_code == 404


# --- the browser's return ---------------------------------------------------------------------


def test_a_signed_return_applies_the_fee_with_razorpays_own_answer(alice_client, opened, api):
    stub_payment(api, payment_entity("pay_29QQoUBi66xm2f", opened.gateway_order_id, FEE_PAISE))
    page = come_back(alice_client, opened, return_params(opened, "pay_29QQoUBi66xm2f"))
    assert page["Location"] == reverse("applications:receipt", args=[opened.application.reference])
    opened.refresh_from_db()
    assert opened.state == "captured"
    assert opened.gateway_reference == "pay_29QQoUBi66xm2f"
    assert TaxInvoice.objects.filter(payment=opened).count() == 1


def test_the_return_says_what_the_capture_sent_as_the_sandboxs_does(
    alice, alice_client, opened, api, django_capture_on_commit_callbacks
):
    # One outcome page for every gateway (payment_views.payment_outcome_response).
    stub_payment(api, payment_entity("pay_29QQoUBi66xm2f", opened.gateway_order_id, FEE_PAISE))
    with django_capture_on_commit_callbacks(execute=True):
        page = come_back(alice_client, opened, return_params(opened, "pay_29QQoUBi66xm2f"))
    said = [str(m) for m in get_messages(page.wsgi_request)]
    assert said == [f"Payment received. We have sent you an email to {masked_email(alice.email)}."]


def test_a_return_with_a_wrong_signature_is_refused_and_razorpay_is_not_even_asked(
    alice_client, opened, api
):
    params = return_params(opened, "pay_29QQoUBi66xm2f", secret="not-the-secret")
    page = come_back(alice_client, opened, params)
    opened.refresh_from_db()
    assert opened.state == "created"
    assert not [c for c in api.calls if "/payments/" in c.request.url]
    text = alice_client.get(page["Location"]).content.decode()
    assert "signature is not valid" in text


# --- the webhook ------------------------------------------------------------------------------


def test_a_webhook_with_a_wrong_signature_is_refused(opened):
    answer = deliver(captured_webhook(opened), secret="someone-elses-secret")
    assert answer.status_code == 400
    opened.refresh_from_db()
    assert opened.state == "created"


def test_a_webhook_signed_for_another_agency_does_not_touch_this_agencys_payment(opened, razorpay):
    razorpay.RAZORPAY_ACCOUNTS = {**ACCOUNTS, "FIEO": {**ACCOUNTS["EIC"]}}
    answer = deliver(captured_webhook(opened), agency="FIEO")
    assert answer.json()["ignored"] is True
    opened.refresh_from_db()
    assert opened.state == "created"


def test_a_webhook_replayed_five_times_applies_the_fee_once(opened):
    body = captured_webhook(opened)
    answers = [deliver(body).json() for _ in range(5)]
    assert [a["applied"] for a in answers] == [True, False, False, False, False]
    assert Payment.objects.filter(application=opened.application, state="captured").count() == 1
    assert PaymentEvent.objects.filter(payment=opened).count() == 1
    assert TaxInvoice.objects.filter(payment__application=opened.application).count() == 1


def test_the_webhook_before_the_return_applies_once_and_the_return_shows_the_receipt(
    alice_client, opened, api
):
    assert deliver(captured_webhook(opened)).json()["applied"] is True
    stub_payment(api, payment_entity("pay_29QQoUBi66xm2f", opened.gateway_order_id, FEE_PAISE))
    page = come_back(alice_client, opened, return_params(opened, "pay_29QQoUBi66xm2f"))
    assert page["Location"] == reverse("applications:receipt", args=[opened.application.reference])
    assert PaymentEvent.objects.filter(payment=opened).count() == 1


def test_a_tampered_amount_is_refused_and_not_applied(opened):
    answer = deliver(captured_webhook(opened, amount=100))
    assert answer.status_code == 400
    opened.refresh_from_db()
    assert opened.state == "created"


def test_a_payment_in_another_currency_is_refused_and_not_applied(opened):
    answer = deliver(captured_webhook(opened, currency="USD"))
    assert answer.status_code == 400
    opened.refresh_from_db()
    assert opened.state == "created"


def test_a_failed_attempt_closes_the_payment_and_a_late_failure_never_undoes_a_capture(opened):
    failed = payment_entity(
        "pay_FAILED00000001", opened.gateway_order_id, FEE_PAISE, status="failed"
    )
    deliver(webhook_body("payment.failed", failed))
    opened.refresh_from_db()
    assert opened.state == "failed"
    deliver(captured_webhook(opened))
    deliver(webhook_body("payment.failed", {**failed, "id": "pay_FAILED00000002"}))
    opened.refresh_from_db()
    assert opened.state == "captured"


# --- the reconciler ---------------------------------------------------------------------------


def test_a_payment_whose_return_and_webhook_were_lost_is_applied_by_one_reconciler_run(opened, api):
    stub_order_payments(
        api,
        opened.gateway_order_id,
        [
            payment_entity(
                "pay_FAILED00000001", opened.gateway_order_id, FEE_PAISE, status="failed"
            ),
            payment_entity("pay_29QQoUBi66xm2f", opened.gateway_order_id, FEE_PAISE),
        ],
    )
    first = payments_reconcile(older_than=timedelta(0))
    assert first.applied == [opened.order_id]
    opened.refresh_from_db()
    assert opened.state == "captured"
    assert opened.gateway_reference == "pay_29QQoUBi66xm2f"
    assert payments_reconcile(older_than=timedelta(0)).applied == []  # no longer open
    assert TaxInvoice.objects.filter(payment=opened).count() == 1


def test_the_reconciler_leaves_a_payment_still_on_the_checkout_alone(opened, api):
    stub_order_payments(api, opened.gateway_order_id, [])
    report = payments_reconcile(older_than=timedelta(0))
    assert report.asked == 1
    assert report.applied == []
    opened.refresh_from_db()
    assert opened.state == "created"


def test_the_reconciler_does_not_ask_about_a_payment_opened_a_moment_ago(opened, api):
    assert payments_reconcile(older_than=timedelta(minutes=5)).asked == 0


# --- refunds ----------------------------------------------------------------------------------


def test_a_duplicate_capture_is_refunded_through_the_sdk_once(
    alice_client, opened, ready, api, django_capture_on_commit_callbacks
):
    """Two tabs, two orders, both paid: the first is the fee, the second is refunded to the
    card through Razorpay's refund call, once, however often the refund is asked for."""
    deliver(captured_webhook(opened))
    second = Payment.objects.create(
        application=ready,
        order_id="ORD-SECOND-TAB",
        amount=opened.amount,
        gateway="razorpay",
        gateway_order_id="order_SECONDTAB0001",
    )
    refund_url = f"{API}/payments/pay_SECONDTAB0000001/refund"
    api.add(
        responses.POST,
        refund_url,
        json=refund_entity("rfnd_FP8QHiV938haTz", "pay_SECONDTAB0000001", FEE_PAISE),
    )
    with django_capture_on_commit_callbacks(execute=True):
        deliver(captured_webhook(second, "pay_SECONDTAB0000001"))
    payments_reconcile(older_than=timedelta(0))
    payment_refund_unapplied(payment_id=second.pk)

    refund_calls = [c for c in api.calls if c.request.url == refund_url]
    assert len(refund_calls) == 1
    assert json.loads(refund_calls[0].request.body)["amount"] == FEE_PAISE
    second.refresh_from_db()
    assert second.state == "unapplied"
    refund = PaymentRefund.objects.get(payment=second)
    assert (refund.state, refund.gateway_refund_id) == ("processed", "rfnd_FP8QHiV938haTz")
    assert ready.payments.filter(state="captured").get() == opened


def test_a_partial_refund_asks_razorpay_for_that_amount_only(opened, api):
    deliver(captured_webhook(opened))
    opened.refresh_from_db()
    api.add(
        responses.POST,
        f"{API}/payments/pay_29QQoUBi66xm2f/refund",
        json=refund_entity("rfnd_PARTIAL0000001", "pay_29QQoUBi66xm2f", 10000),
    )
    result = RazorpayGateway().refund(opened, 10000)
    assert (result.refund_id, result.amount_paise, result.processed) == (
        "rfnd_PARTIAL0000001",
        10000,
        True,
    )
    assert json.loads(api.calls[-1].request.body)["amount"] == 10000


def test_a_refund_razorpay_refuses_is_recorded_as_refused_and_not_asked_again(opened, ready, api):
    deliver(captured_webhook(opened))
    second = Payment.objects.create(
        application=ready,
        order_id="ORD-SECOND-TAB",
        amount=opened.amount,
        gateway="razorpay",
        gateway_order_id="order_SECONDTAB0001",
    )
    deliver(captured_webhook(second, "pay_SECONDTAB0000001"))
    refund_url = f"{API}/payments/pay_SECONDTAB0000001/refund"
    api.add(
        responses.POST,
        refund_url,
        status=400,
        json={
            "error": {
                "code": "BAD_REQUEST_ERROR",
                "description": "The payment has been fully refunded already",
            }
        },
    )
    refund = payment_refund_unapplied(payment_id=second.pk)
    assert refund is not None
    assert refund.state == "refused"
    assert "fully refunded" in refund.detail
    payments_reconcile(older_than=timedelta(0))
    assert len([c for c in api.calls if c.request.url == refund_url]) == 1
    second.refresh_from_db()
    with pytest.raises(RefundRefused):
        RazorpayGateway().refund(second, FEE_PAISE)


# --- the settlement file ----------------------------------------------------------------------


def test_the_daily_settlement_report_puts_the_portals_captures_beside_razorpays_file(opened, api):
    from django.utils import timezone

    from applications.gst_register import settlement_report, settlement_rows

    deliver(captured_webhook(opened))
    today = timezone.localdate()
    api.add(
        responses.GET,
        f"{API}/settlements/recon/combined",
        json={
            "entity": "collection",
            "count": 2,
            "items": [
                {
                    "entity_id": "pay_29QQoUBi66xm2f",
                    "type": "payment",
                    "order_id": opened.gateway_order_id,
                    "amount": 49000,  # the file says less than the portal took: shown
                    "fee": 1180,
                    "tax": 180,
                    "settlement_id": "setl_DGlQ1Rj8os78Ec",
                },
                {
                    "entity_id": "pay_NOTOURS0000001",
                    "type": "payment",
                    "order_id": "order_NOTOURS00001",
                    "amount": 20000,
                    "fee": 472,
                    "tax": 72,
                    "settlement_id": "setl_DGlQ1Rj8os78Ec",
                },
            ],
        },
    )
    lines = RazorpayGateway().settlement_report("EIC", today.year, today.month, today.day)
    assert api.calls[-1].request.url.endswith(
        f"year={today.year}&month={today.month}&day={today.day}"
    )
    rows = settlement_report(opened.application.agency, today, lines)
    table = list(settlement_rows(rows))
    assert table[1] == ["Fee captured", "pay_29QQoUBi66xm2f", "500.00", "490.00", "-10.00"]
    assert table[2] == [
        "In the gateway's file only (payment)",
        "pay_NOTOURS0000001",
        "",
        "200.00",
        "200.00",
    ]


def test_the_wallet_cannot_be_topped_up_through_razorpay_and_says_so(alice, razorpay):
    from applications import wallet

    with pytest.raises(wallet.WalletError, match="pay each fee by card"):
        wallet.wallet_top_up_start(user=alice, amount_rupees=500)


def test_a_return_razorpay_cannot_answer_about_says_the_reconciler_will_apply_it(
    alice_client, opened, api
):
    api.add(
        responses.GET,
        f"{API}/payments/pay_29QQoUBi66xm2f",
        status=502,
        json={"error": {"code": "SERVER_ERROR", "description": "The server is down"}},
    )
    page = come_back(alice_client, opened, return_params(opened, "pay_29QQoUBi66xm2f"))
    opened.refresh_from_db()
    assert opened.state == "created"  # not applied on the browser's word
    text = alice_client.get(page["Location"]).content.decode()
    assert "you need not pay twice" in text


def test_the_agencys_administrator_downloads_the_daily_settlement_report(
    opened, api, ada, razorpay
):
    from django.utils import timezone

    from tests.clients import verified_client

    deliver(captured_webhook(opened))
    api.add(
        responses.GET,
        f"{API}/settlements/recon/combined",
        json={"entity": "collection", "count": 0, "items": []},
    )
    day = timezone.localdate().isoformat()
    response = verified_client(ada).get(reverse("applications:settlement-report", args=[day]))
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Disposition"] == f'attachment; filename="settlement-EIC-{day}.csv"'
    assert "Fee captured,pay_29QQoUBi66xm2f,500.00,,-500.00" in body


def test_the_reconciler_is_scheduled_and_its_task_runs_the_reconciler(settings, opened, api):
    from applications.tasks import payments_reconcile_task
    from coo_portal.celery import app as celery_app

    schedule = celery_app.conf.beat_schedule["payment reconciler"]
    assert schedule["task"] == "applications.payments_reconcile"
    assert schedule["schedule"] == settings.PAYMENT_RECONCILE_SECONDS
    settings.PAYMENT_RECONCILE_AFTER_SECONDS = 0
    stub_order_payments(
        api,
        opened.gateway_order_id,
        [payment_entity("pay_29QQoUBi66xm2f", opened.gateway_order_id, FEE_PAISE)],
    )
    payments_reconcile_task()
    opened.refresh_from_db()
    assert opened.state == "captured"


def test_the_portals_own_signer_of_self_declarations_needs_no_merchant_account(razorpay, eic):
    """Self-declarations take no fee: the PORTAL row (reference.IssuingAgency.self_declaration)
    is not asked for a Razorpay account, an agency still is."""
    from reference.models import IssuingAgency

    razorpay.DEBUG = False
    razorpay.TESTING = False
    IssuingAgency.objects.create(
        code="PORTAL", name="COO Portal (self-declarations)", self_declaration=True
    )
    assert payment_accounts_check() == []
    IssuingAgency.objects.filter(code="PORTAL").update(self_declaration=False)
    assert [e.id for e in payment_accounts_check()] == ["applications.E002"]
