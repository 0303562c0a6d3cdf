"""Issue 13, acceptance 4: the fee wallet. Top-ups credit exactly once, a fee is one atomic
debit, a withdrawal before review is refunded by rule, and the database itself keeps the
ledger a chain whose last balance is the sum of its entries and never negative."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.models import Sum
from django.urls import reverse

from accounts import firms
from applications import wallet, workflow
from applications.models import (
    ApplicationEvent,
    Payment,
    TaxInvoice,
    Wallet,
    WalletEntry,
    WalletTopUp,
)
from tests import factories

from .wallet_helpers import fund, top_up_event

pytestmark = pytest.mark.django_db

DB_ERRORS = (IntegrityError, InternalError)


def balance(user) -> int:
    return wallet.wallet_balance_for(user, firms.member_of(user).firm_id)


def ledger_sum(account: Wallet) -> int:
    return account.entries.aggregate(total=Sum("amount_paise"))["total"] or 0


# -- top-ups ------------------------------------------------------------------------------------


def test_a_captured_top_up_credits_the_wallet_once_however_often_it_is_delivered(alice):
    top_up = wallet.wallet_top_up_start(user=alice, amount_rupees=500)
    event = top_up_event(top_up, event_id="EVT-FIVE")
    outcomes = [wallet.wallet_top_up_apply_event(**event, source="notification") for _ in range(5)]

    assert [o.applied for o in outcomes] == [True, False, False, False, False]
    assert balance(alice) == 50000
    assert WalletEntry.objects.filter(top_up=top_up).count() == 1


def test_a_second_capture_event_of_the_same_top_up_credits_nothing_more(alice):
    top_up = wallet.wallet_top_up_start(user=alice, amount_rupees=500)
    wallet.wallet_top_up_apply_event(**top_up_event(top_up), source="notification")
    again = wallet.wallet_top_up_apply_event(**top_up_event(top_up), source="return")

    assert again.applied is False
    assert balance(alice) == 50000


def test_a_late_failure_never_undoes_a_captured_top_up(alice):
    top_up = wallet.wallet_top_up_start(user=alice, amount_rupees=500)
    wallet.wallet_top_up_apply_event(**top_up_event(top_up), source="notification")
    wallet.wallet_top_up_apply_event(**top_up_event(top_up, status="failed"), source="return")

    top_up.refresh_from_db()
    assert top_up.state == WalletTopUp.State.CAPTURED
    assert balance(alice) == 50000


def test_a_top_up_with_a_bad_signature_or_another_amount_credits_nothing(alice):
    top_up = wallet.wallet_top_up_start(user=alice, amount_rupees=500)
    forged = top_up_event(top_up)
    forged["signature"] = "0" * 64
    with pytest.raises(wallet.TopUpRefused):
        wallet.wallet_top_up_apply_event(**forged, source="notification")
    event = top_up_event(top_up)
    event["payload"]["amount"] = "5000.00"
    event["signature"] = top_up_event(top_up)["signature"]  # signed for the real amount: bad
    with pytest.raises(wallet.TopUpRefused):
        wallet.wallet_top_up_apply_event(**event, source="notification")

    assert balance(alice) == 0


def test_top_ups_outside_the_limits_are_refused(alice, settings):
    settings.WALLET_TOP_UP_MIN, settings.WALLET_TOP_UP_MAX = 100, 1000
    for amount in (99, 1001):
        with pytest.raises(wallet.WalletError, match="between INR 100 and INR 1000"):
            wallet.wallet_top_up_start(user=alice, amount_rupees=amount)
    assert not WalletTopUp.objects.exists()


def test_the_top_up_journey_through_the_sandbox_credits_and_tells_the_firm(
    alice, alice_client, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    response = alice_client.post(reverse("applications:wallet-top-up"), {"amount": "750"})
    top_up = WalletTopUp.objects.get()
    assert response.url == reverse("applications:wallet-top-up-sandbox", args=[top_up.order_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(response.url, {"outcome": "captured"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("applications:wallet")
    assert "INR 750.00 added to your wallet." in response.content.decode()
    assert balance(alice) == 75000
    topped = [m for m in mail_outbox if "added to your fee wallet" in m.subject]
    assert [m.to for m in topped] == [[alice.email]]
    assert "Your balance is now INR 750.00" in topped[0].body
    receipt = TaxInvoice.objects.get(top_up=top_up)
    assert f"Your receipt {receipt.number} and the wallet's statement" in topped[0].body
    assert "tax invoice" not in topped[0].body.lower()
    assert any("fee wallet. Balance INR 750.00" in s.body for s in sms_outbox)


def test_the_top_up_notification_endpoint_applies_a_signed_event_once(alice, client):
    top_up = wallet.wallet_top_up_start(user=alice, amount_rupees=300)
    event = top_up_event(top_up)
    url = reverse("applications:wallet-top-up-notify")
    answers = [
        client.post(
            url,
            json.dumps(event["payload"]),
            content_type="application/json",
            headers={"X-Signature": event["signature"]},
        ).json()
        for _ in range(2)
    ]
    assert [a["applied"] for a in answers] == [True, False]
    bad = client.post(
        url,
        json.dumps(event["payload"]),
        content_type="application/json",
        headers={"X-Signature": "bad"},
    )
    assert bad.status_code == 400
    assert balance(alice) == 30000


# -- paying a fee -----------------------------------------------------------------------------


def test_paying_a_fee_from_the_wallet_debits_it_and_captures_the_payment(alice, ready):
    fund(alice, 1000)
    payment = wallet.wallet_pay_fee(application_id=ready.pk, user=alice)

    assert payment.state == Payment.State.CAPTURED
    assert payment.amount == 500
    assert balance(alice) == 50000
    entry = WalletEntry.objects.get(kind="fee")
    assert (entry.amount_paise, entry.application, entry.payment) == (-50000, ready, payment)
    assert ready.events.filter(kind=ApplicationEvent.Kind.PAYMENT).exists()


def test_a_balance_that_does_not_cover_the_fee_takes_nothing(alice, ready):
    fund(alice, 400)
    with pytest.raises(
        wallet.BalanceShort, match=r"balance is INR 400\.00; the fee is INR 500\.00"
    ):
        wallet.wallet_pay_fee(application_id=ready.pk, user=alice)

    assert balance(alice) == 40000
    assert not Payment.objects.filter(application=ready).exists()


def test_a_fee_is_never_taken_twice(alice, ready):
    fund(alice, 2000)
    wallet.wallet_pay_fee(application_id=ready.pk, user=alice)
    with pytest.raises(wallet.WalletError, match="already been paid"):
        wallet.wallet_pay_fee(application_id=ready.pk, user=alice)
    assert balance(alice) == 150000


def test_another_firm_cannot_pay_from_its_wallet_for_alices_application(bob, ready):
    fund(bob, 1000)
    with pytest.raises(wallet.WalletError, match="not yours"):
        wallet.wallet_pay_fee(application_id=ready.pk, user=bob)
    assert balance(bob) == 100000


def test_the_check_page_offers_the_wallet_and_a_short_balance_is_told_plainly(
    alice, alice_client, ready
):
    fund(alice, 100)
    page = alice_client.get(reverse("applications:check", args=[ready.reference])).content
    assert "fee wallet</a> holds INR 100.00: add money" in page.decode()
    assert "Use the fee wallet" not in page.decode()

    response = alice_client.post(
        reverse("applications:pay-wallet", args=[ready.reference]), follow=True
    )
    assert "Your wallet balance is INR 100.00; the fee is INR 500.00." in response.content.decode()
    fund(alice, 400)
    page = alice_client.get(reverse("applications:check", args=[ready.reference])).content
    assert "Use the fee wallet" in page.decode()
    response = alice_client.post(reverse("applications:pay-wallet", args=[ready.reference]))
    assert response.url == reverse("applications:receipt", args=[ready.reference])
    assert balance(alice) == 0


# -- refunds ------------------------------------------------------------------------------------


def submit_from_wallet(alice, application) -> None:
    wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    workflow.application_submit(application_id=application.pk, exporter=alice)


def test_a_withdrawal_before_review_refunds_the_fee_as_a_ledger_entry(
    alice, ready, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    fund(alice, 1000)
    submit_from_wallet(alice, ready)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.application_withdraw(application_id=ready.pk, exporter=alice)

    refund = WalletEntry.objects.get(kind="refund")
    assert (refund.amount_paise, refund.application) == (50000, ready)
    account = Wallet.objects.get(firm=alice.exporter_profile.iec_record)
    assert balance(alice) == 100000 == ledger_sum(account)
    assert [e.kind for e in account.entries.all()] == ["top_up", "fee", "refund"]
    assert any(f"{ready.reference} refunded" in m.subject for m in mail_outbox)
    assert any("refunded to your fee wallet" in s.body for s in sms_outbox)


def test_a_refunded_wallet_fee_is_tied_to_its_payment_and_its_invoice_is_cancelled(
    alice, ready, mail_outbox, django_capture_on_commit_callbacks
):
    fund(alice, 1000)
    submit_from_wallet(alice, ready)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.application_withdraw(application_id=ready.pk, exporter=alice)

    fee = Payment.objects.get(application=ready, state=Payment.State.CAPTURED)
    refund = WalletEntry.objects.get(kind="refund")
    assert (refund.payment, refund.actor) == (fee, alice)
    assert (
        refund.description == f"Refund of the fee for {ready.reference} (withdrawn before review)"
    )
    invoice = TaxInvoice.objects.exclude(kind="credit_note").get(payment=fee)
    credit = TaxInvoice.objects.get(kind="credit_note", original=invoice)
    note = ApplicationEvent.objects.filter(application=ready, kind="payment").last().note
    assert note == (
        f"Fee of INR {fee.amount} refunded to the fee wallet. "
        f"Credit note {credit.number} cancels {invoice.number}."
    )
    told = next(m for m in mail_outbox if f"{ready.reference} refunded" in m.subject)
    for shown in (credit.number, invoice.number, wallet.rupees(50000), wallet.rupees(100000)):
        assert shown in told.body


def test_a_card_fee_is_refunded_to_the_wallet_too(alice, ready):
    factories.PaymentFactory(application=ready, amount="500.00")
    workflow.application_withdraw(application_id=ready.pk, exporter=alice)
    assert balance(alice) == 50000


def test_no_refund_once_an_officer_took_the_application_up(alice, ready, olivia):
    fund(alice, 500)
    submit_from_wallet(alice, ready)
    workflow.application_start_review(application_id=ready.pk, officer=olivia)
    workflow.application_request_clarification(
        application_id=ready.pk, officer=olivia, message="Which invoice?"
    )
    workflow.application_withdraw(application_id=ready.pk, exporter=alice)

    assert not WalletEntry.objects.filter(kind="refund").exists()
    assert balance(alice) == 0


def test_no_refund_for_a_rejection_after_review(alice, ready, olivia):
    fund(alice, 500)
    submit_from_wallet(alice, ready)
    workflow.application_start_review(application_id=ready.pk, officer=olivia)
    workflow.application_reject(application_id=ready.pk, officer=olivia, reason="Not origin")
    assert balance(alice) == 0


def test_an_application_is_refunded_at_most_once_by_the_database(alice, ready):
    fund(alice, 500)
    submit_from_wallet(alice, ready)
    workflow.application_withdraw(application_id=ready.pk, exporter=alice)
    account = Wallet.objects.get()
    last = account.entries.order_by("-sequence").first()
    with pytest.raises(DB_ERRORS), transaction.atomic():
        WalletEntry.objects.create(
            wallet=account,
            sequence=last.sequence + 1,
            kind="refund",
            amount_paise=50000,
            balance_after_paise=last.balance_after_paise + 50000,
            application=ready,
            description="again",
        )


# -- the database keeps the ledger --------------------------------------------------------------


def test_the_database_refuses_a_negative_balance(alice):
    account = fund(alice, 100)
    with pytest.raises(DB_ERRORS), transaction.atomic():
        WalletEntry.objects.create(
            wallet=account,
            sequence=2,
            kind="fee",
            amount_paise=-20000,
            balance_after_paise=-10000,
            application=factories.ApplicationFactory(exporter=alice),
            description="overdraw",
        )


def test_the_database_refuses_an_entry_whose_balance_does_not_follow_the_previous(alice):
    account = fund(alice, 100)
    with pytest.raises(DB_ERRORS), transaction.atomic():
        WalletEntry.objects.create(
            wallet=account,
            sequence=2,
            kind="refund",
            amount_paise=100,
            balance_after_paise=99999,
            application=factories.ApplicationFactory(exporter=alice),
            description="money from nowhere",
        )


def test_the_database_refuses_a_gap_or_a_fork_in_the_chain(alice):
    account = fund(alice, 100)
    app = factories.ApplicationFactory(exporter=alice)
    for sequence in (3, 1):  # a gap; a second entry 1
        with pytest.raises(DB_ERRORS), transaction.atomic():
            WalletEntry.objects.create(
                wallet=account,
                sequence=sequence,
                kind="refund",
                amount_paise=100,
                balance_after_paise=10100 if sequence == 3 else 100,
                application=app,
                description="out of line",
            )


def test_the_database_refuses_to_change_a_ledger_entry(alice):
    account = fund(alice, 100)
    with pytest.raises(DB_ERRORS), transaction.atomic():
        WalletEntry.objects.filter(wallet=account).update(balance_after_paise=999999)
    assert balance(alice) == 10000


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite allows the test flush")
def test_postgresql_refuses_to_delete_a_ledger_entry(alice):
    account = fund(alice, 100)
    with pytest.raises(DB_ERRORS), transaction.atomic():
        WalletEntry.objects.filter(wallet=account).delete()
    assert balance(alice) == 10000


# -- the pages ----------------------------------------------------------------------------------


def test_the_wallet_page_shows_the_balance_and_the_ledger_in_few_queries(
    alice, alice_client, ready, django_assert_max_num_queries
):
    fund(alice, 1000)
    fund(alice, 250)
    wallet.wallet_pay_fee(application_id=ready.pk, user=alice)
    with django_assert_max_num_queries(12):
        page = alice_client.get(reverse("applications:wallet")).content.decode()

    assert "INR 750.00" in page
    assert "+1000.00" in page
    assert "+250.00" in page
    assert "-500.00" in page
    assert ready.reference in page


def test_the_statement_downloads_as_csv_with_a_running_balance(alice, alice_client, ready):
    fund(alice, 1000)
    wallet.wallet_pay_fee(application_id=ready.pk, user=alice)
    response = alice_client.get(reverse("applications:wallet-statement"))

    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # constant memory, whatever the ledger's length (issue 34)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-2:] == ["Amount (INR)", "Balance (INR)"]
    assert [(r[2], r[4], r[5], r[6]) for r in rows[1:]] == [
        ("Top-up", "", "1000.00", "1000.00"),
        ("Fee paid", ready.reference, "-500.00", "500.00"),
    ]


def test_bob_sees_nothing_of_alices_wallet(alice, bob_client):
    fund(alice, 1000)
    page = bob_client.get(reverse("applications:wallet")).content.decode()
    assert "INR 0.00" in page
    assert "1000.00" not in page
    statement = bob_client.get(reverse("applications:wallet-statement"))
    csv_rows = b"".join(statement.streaming_content).decode()
    assert csv_rows.count("\n") == 1
    alice_top_up = WalletTopUp.objects.get()
    assert (
        bob_client.get(
            reverse("applications:wallet-top-up-sandbox", args=[alice_top_up.order_id])
        ).status_code
        == 404
    )


def test_the_firm_gstin_is_validated_and_saved(alice, alice_client):
    url = reverse("applications:wallet-gstin")
    response = alice_client.post(url, {"gstin": "27ABCDE1234F1Z"}, follow=True)
    assert "Enter a GSTIN of 15 characters" in response.content.decode()
    alice_client.post(url, {"gstin": "29abcde1234f1z5"})
    assert Wallet.objects.get().gstin == "29ABCDE1234F1Z5"
