"""Chromium: Alice pays an application's fee through Razorpay's Standard Checkout. Razorpay
cannot be reached from here, so the test serves a stand-in for checkout.js (Playwright's
page.route) that opens a "hosted checkout" and hands the page's handler exactly what Razorpay
documents (razorpay_payment_id, razorpay_order_id, razorpay_signature), signed with the test
key secret; the server's calls to Razorpay's API go to `responses`. Screenshots at 1280 and
360 px."""

from __future__ import annotations

import json

import pytest
import responses

from applications.models import Payment, TaxInvoice
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD

from .razorpay_helpers import (
    ACCOUNTS,
    KEY_ID,
    KEY_SECRET,
    hmac_hex,
    payment_entity,
    stub_order,
    stub_payment,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ORDER_ID = "order_EKwxwAgItmmXdp"
PAYMENT_ID = "pay_29QQoUBi66xm2f"

# The stand-in for https://checkout.razorpay.com/v1/checkout.js: the same constructor, open()
# and on(), a hosted page drawn over the portal's, and on "Pay" the documented success answer.
STAND_IN = """
window.Razorpay = function (options) {
  window.__razorpayOptions = options;
  this.on = function () {};
  this.open = function () {
    var frame = document.createElement("div");
    frame.setAttribute("role", "dialog");
    frame.setAttribute("aria-label", "Razorpay Checkout (stand-in)");
    frame.style.cssText =
      "position:fixed;inset:10%;background:#fff;border:2px solid #333;padding:2em";
    var title = document.createElement("h2");
    title.textContent = options.name + ": INR " + (options.amount / 100).toFixed(2);
    var pay = document.createElement("button");
    pay.textContent = "Pay with the test card";
    pay.addEventListener("click", function () {
      options.handler(ANSWER);
    });
    frame.append(title, pay);
    document.body.append(frame);
  };
};
"""


def both_widths(page, screenshot, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, f"{name}-360")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_alice_pays_the_fee_through_the_razorpay_checkout_and_it_is_applied_once(
    page, screenshot, settings, alice, ready
):
    settings.PAYMENT_GATEWAY = "razorpay"
    settings.RAZORPAY_ACCOUNTS = ACCOUNTS
    answer = {
        "razorpay_payment_id": PAYMENT_ID,
        "razorpay_order_id": ORDER_ID,
        "razorpay_signature": hmac_hex(KEY_SECRET, f"{ORDER_ID}|{PAYMENT_ID}"),
    }
    script = STAND_IN.replace("ANSWER", json.dumps(answer))
    page.route(
        "https://checkout.razorpay.com/v1/checkout.js",
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=script),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.add_passthru("http://localhost")
        stub_order(api, ORDER_ID)
        stub_payment(api, payment_entity(PAYMENT_ID, ORDER_ID, 50000))

        sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
        page.goto(f"/applications/{ready.reference}/check/")
        page.get_by_role("button", name="Pay INR 500.00").click()
        page.get_by_role("heading", name="Pay INR 500.00").wait_for()
        both_widths(page, screenshot, "checkout")
        page.get_by_role("button", name="Pay INR 500.00").click()
        dialog = page.get_by_role("dialog", name="Razorpay Checkout (stand-in)")
        dialog.wait_for()
        options = page.evaluate("window.__razorpayOptions")
        assert (options["key"], options["amount"], options["order_id"]) == (KEY_ID, 50000, ORDER_ID)
        assert "thisisthetestkeysecret" not in page.content()
        dialog.get_by_role("button", name="Pay with the test card").click()
        page.get_by_text("Payment received.").wait_for()
        both_widths(page, screenshot, "receipt")

    payment = Payment.objects.get(application=ready)
    assert (payment.state, payment.gateway_reference) == ("captured", PAYMENT_ID)
    assert TaxInvoice.objects.filter(payment=payment).count() == 1
    assert page.failed_requests == []
