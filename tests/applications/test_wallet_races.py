"""Issue 13, acceptances 4 and 5 under real concurrency (PostgreSQL): a top-up notification
delivered five times, two at once, credits once; two fees paid at the same moment from a
balance that covers one: one is paid, the other is told the balance is short; tax invoice
numbers stay gapless per agency and financial year under concurrent payments, and top-up
receipt numbers under concurrent top-ups."""

from __future__ import annotations

import pytest
from django.db import transaction

from applications import wallet
from applications.models import Payment, TaxInvoice, WalletEntry
from tests import concurrency, factories

from .wallet_helpers import fund, top_up_event

pytestmark = [
    pytest.mark.postgres,
    concurrency.needs_row_locks,
    pytest.mark.django_db(transaction=True),
]


def test_a_top_up_callback_delivered_five_times_two_at_once_credits_once(alice):
    top_up = wallet.wallet_top_up_start(user=alice, amount_rupees=500)
    event = top_up_event(top_up, event_id="EVT-RACE-1")

    def deliver():
        return wallet.wallet_top_up_apply_event(**event, source="notification")

    together = concurrency.run_together(2, deliver)
    later = [deliver() for _ in range(3)]

    outcomes = together + later
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(o.applied for o in outcomes) == [False, False, False, False, True]
    assert WalletEntry.objects.filter(top_up=top_up).count() == 1
    assert wallet.wallet_balance_for(alice, alice.exporter_profile.iec_record_id) == 50000


def test_two_fees_paid_at_once_from_a_balance_for_one_one_is_paid_one_is_told_short(
    alice, eic_mumbai
):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    fund(alice, 300)
    first, second = (
        factories.ApplicationFactory(exporter=alice, office=eic_mumbai) for _ in range(2)
    )
    apps = iter([first, second])

    def pay():
        application = next(apps)
        return wallet.wallet_pay_fee(application_id=application.pk, user=alice)

    results = concurrency.run_together(2, pay)

    paid = [r for r in results if isinstance(r, Payment)]
    short = [r for r in results if isinstance(r, wallet.BalanceShort)]
    assert (len(paid), len(short)) == (1, 1), results
    assert "Your wallet balance is INR 100.00; the fee is INR 200.00" in str(short[0])
    assert wallet.wallet_balance_for(alice, alice.exporter_profile.iec_record_id) == 10000
    assert Payment.objects.filter(state="captured").count() == 1


def test_tax_invoice_numbers_are_gapless_per_agency_under_concurrent_payments(
    alice, eic_mumbai, fieo_delhi
):
    factories.FeeFactory(certificate_type="non_preferential", amount="200.00")
    eic_mumbai.agency.gstin = "27AAAGE1234C1Z1"
    eic_mumbai.agency.save()
    fieo_delhi.agency.gstin = "07AAAAF1234C1Z1"  # registered: tax invoices, not bills of supply
    fieo_delhi.agency.save()
    fund(alice, 100_000 // 100 * 10)  # INR 10,000
    count = 8
    offices = [eic_mumbai] * 6 + [fieo_delhi] * 2
    applications = iter(
        [factories.ApplicationFactory(exporter=alice, office=office) for office in offices]
    )

    def pay():
        with transaction.atomic():
            return wallet.wallet_pay_fee(application_id=next(applications).pk, user=alice)

    results = concurrency.run_together(count, pay)

    assert not [r for r in results if isinstance(r, Exception)], results
    eic = TaxInvoice.objects.filter(supplier="agency:EIC").order_by("sequence")
    fieo = TaxInvoice.objects.filter(supplier="agency:FIEO").order_by("sequence")
    assert [i.sequence for i in eic] == [1, 2, 3, 4, 5, 6]
    assert [i.sequence for i in fieo] == [1, 2]
    assert len({i.number for i in eic}) == 6


def test_receipt_numbers_are_gapless_per_financial_year_under_concurrent_top_ups(alice, bob):
    count = 8
    top_ups = [
        wallet.wallet_top_up_start(user=user, amount_rupees=100 + n)
        for n, user in enumerate([alice, bob] * (count // 2))
    ]
    events = iter([top_up_event(top_up) for top_up in top_ups])

    def capture():
        event = next(events)
        return wallet.wallet_top_up_apply_event(**event, source="notification")

    results = concurrency.run_together(count, capture)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r.applied for r in results)
    receipts = TaxInvoice.objects.filter(kind=TaxInvoice.Kind.RECEIPT).order_by("sequence")
    assert [r.sequence for r in receipts] == list(range(1, count + 1))
    assert len({r.number for r in receipts}) == count
    assert len({r.financial_year for r in receipts}) == 1
    assert {r.top_up_id for r in receipts} == {t.pk for t in top_ups}
    assert not TaxInvoice.objects.filter(kind=TaxInvoice.Kind.TAX_INVOICE).exists()
