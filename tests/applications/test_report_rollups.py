"""Issue 31, acceptance 2: the reports on review steps, fees and lookups read daily roll-ups
kept by the services that write the raw rows, in the same transaction. After a mix of review
steps (a clarification round among them), card and wallet fees, a refund and lookups through
both log writers, the roll-ups equal a recount from the raw rows, and every report built from
them equals the one built from the raw rows, with figures known here."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from applications import services, wallet, workflow
from applications.models import DecisionDay, FeeDay, ReviewDay
from applications.payments import gateway_get
from applications.rollups import decision_days_count, fee_days_count, review_days_count
from review.reports import (
    Scope,
    clarifications_and_refusals,
    fees,
    officer_workload,
    time_to_decision,
    verification_lookups,
)
from tests import factories
from tests.verification.factories import CertificateFactory
from verification import logbuffer, tasks
from verification.models import LookupDay
from verification.rollups import lookup_days_count

from .wallet_helpers import fund

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = TODAY - dt.timedelta(days=2)
MORNING = timezone.make_aware(dt.datetime.combine(DAY, dt.time(10)))


def pay_by_card(alice, application) -> None:
    payment = services.payment_start(application_id=application.pk, exporter=alice)
    payload = {
        "order_id": payment.order_id,
        "event_id": f"EVT-{payment.pk}",
        "status": "captured",
        "amount": f"{payment.amount:.2f}",
        "currency": "INR",
        "gateway_reference": "SBX1",
    }
    services.payment_apply_event(
        payload=payload, signature=gateway_get().sign(payload), source="notification"
    )


def rows(model, *fields):
    return sorted(tuple(getattr(row, f) for f in fields) for row in model)


REVIEW_FIELDS = ("day", "agency_id", "from_status", "to_status", "actor_id", "count")
FEE_FIELDS = ("day", "agency_id", "payments", "fees_paise", "refunds_paise", "gst_paise")
LOOKUP_FIELDS = ("day", "agency_id", "channel", "count")
DECISION_FIELDS = ("day", "agency_id", "hours", "count")


@pytest.fixture
def the_mix(alice, olivia, reference_data, eic, mail_outbox, sms_outbox):
    """Two days ago, through the services only: four applications paid (three from the
    wallet, one by card), submitted; one withdrawn before review (refunded); one approved
    after a clarification round; one rejected; one taken up and released. Then lookups of
    the approved one's certificate through both writers of the log."""
    eic.gstin = "27AAAGE1234C1Z1"  # registered: its fees carry GST on a tax invoice
    eic.save()
    with time_machine.travel(MORNING, tick=True):
        fund(alice, 2000)
        approved, withdrawn, rejected, released = (
            factories.ready_to_pay(alice, reference_data) for _ in range(4)
        )
        for application in (approved, withdrawn, rejected):
            wallet.wallet_pay_fee(application_id=application.pk, user=alice)
        pay_by_card(alice, released)
        for application in (approved, withdrawn, rejected, released):
            workflow.application_submit(application_id=application.pk, exporter=alice)

        workflow.application_withdraw(application_id=withdrawn.pk, exporter=alice)
        workflow.application_start_review(application_id=approved.pk, officer=olivia)
        workflow.application_request_clarification(
            application_id=approved.pk, officer=olivia, message="Send the packing list."
        )
        workflow.application_resubmit(application_id=approved.pk, exporter=alice, reply="Sent.")
        workflow.application_start_review(application_id=approved.pk, officer=olivia)
        workflow.application_approve(application_id=approved.pk, officer=olivia)
        workflow.application_start_review(application_id=rejected.pk, officer=olivia)
        workflow.application_reject(application_id=rejected.pk, officer=olivia, reason="HS code")
        workflow.application_start_review(application_id=released.pk, officer=olivia)
        workflow.application_release(application_id=released.pk, officer=olivia)

        certificate = CertificateFactory(application=approved)
        now = timezone.now().isoformat()
        for channel in ("qr", "qr", "api"):  # the buffer, outside a request: written at once
            logbuffer.add(
                certificate_id=certificate.pk,
                row={"channel": channel, "outcome": "found", "client_hash": "x", "created_at": now},
            )
        tasks._insert(  # the flush of the rows queued in Redis
            [
                {
                    "certificate_id": certificate.pk,
                    "channel": "page",
                    "outcome": "found",
                    "client_hash": "y",
                    "created_at": now,
                },
                {
                    "certificate_id": None,  # a number not found: no agency, not counted
                    "channel": "page",
                    "outcome": "not_found",
                    "client_hash": "z",
                    "created_at": now,
                },
            ]
        )


def test_the_rollups_kept_by_the_services_equal_a_recount_of_the_raw_rows(the_mix):
    kept_review = rows(ReviewDay.objects.all(), *REVIEW_FIELDS)
    kept_fees = rows(FeeDay.objects.all(), *FEE_FIELDS)
    kept_lookups = rows(LookupDay.objects.all(), *LOOKUP_FIELDS)
    kept_decisions = rows(DecisionDay.objects.all(), *DECISION_FIELDS)

    # Written by the services, no rebuild: the approval and the refusal, each within the hour.
    assert kept_review
    assert kept_fees
    assert kept_lookups
    assert [row[2:] for row in kept_decisions] == [(1, 2)]
    assert kept_decisions == rows(decision_days_count(since=DAY, until=TODAY), *DECISION_FIELDS)
    assert kept_review == rows(review_days_count(since=DAY, until=TODAY), *REVIEW_FIELDS)
    assert kept_fees == rows(fee_days_count(since=DAY, until=TODAY), *FEE_FIELDS)
    assert kept_lookups == rows(lookup_days_count(since=DAY, until=TODAY), *LOOKUP_FIELDS)


def test_the_reports_from_the_rollups_hold_the_known_figures_and_equal_the_raw_ones(
    the_mix, eic, olivia
):
    month = DAY.strftime("%Y-%m")
    for agency_id in (eic.pk, None):
        for period in ("day", "month"):
            scope = Scope(agency_id=agency_id, start=DAY, end=TODAY, period=period)
            for build in (clarifications_and_refusals, officer_workload, fees, time_to_decision):
                assert build(scope).rows == build(scope, raw=True).rows, (build, scope)
            assert verification_lookups(scope).rows == verification_lookups(scope, raw=True).rows

    scope = Scope(agency_id=eic.pk, start=DAY, end=TODAY)
    # Outcomes of review: a clarification, an approval, a refusal (the release is none).
    assert clarifications_and_refusals(scope).rows == [[DAY.isoformat(), 3, 1, 33.3, 1, 33.3]]
    # Four reviews started, one approved, one rejected, one clarification, none held now.
    assert officer_workload(scope).rows == [["Olivia Rao", 4, 1, 1, 1, 0]]
    # Four fees of INR 500 (three from the wallet, one by card), one refunded; GST of 18% on
    # each fee's tax invoice (500 x 18/118 = 76.27, split as CGST 38.14 + SGST 38.14 = 76.28).
    report = fees(scope)
    assert report.rows == [[month, 4, 2000.0, 500.0, 305.12]]
    assert verification_lookups(scope).rows == [
        [DAY.isoformat(), "API", 1],
        [DAY.isoformat(), "Verification page", 1],
        [DAY.isoformat(), "QR link", 2],
    ]


def test_the_reports_read_the_rollups_for_past_days(the_mix, eic):
    """Proof that the roll-ups are what is read: a figure changed in them shows."""
    ReviewDay.objects.filter(to_status="rejected").update(count=5)
    FeeDay.objects.update(refunds_paise=12345)
    LookupDay.objects.filter(channel="api").update(count=9)
    DecisionDay.objects.update(hours=50)
    scope = Scope(agency_id=eic.pk, start=DAY, end=TODAY)

    assert time_to_decision(scope).rows == [[DAY.isoformat(), 2, 50.0, 50.0, 2]]

    assert clarifications_and_refusals(scope).rows[0][4] == 5
    assert fees(scope).rows[0][3] == 123.45
    assert [DAY.isoformat(), "API", 9] in verification_lookups(scope).rows


def test_rollup_reports_rebuilds_them_from_the_raw_rows(the_mix):
    kept = [
        rows(ReviewDay.objects.all(), *REVIEW_FIELDS),
        rows(FeeDay.objects.all(), *FEE_FIELDS),
        rows(LookupDay.objects.all(), *LOOKUP_FIELDS),
        rows(DecisionDay.objects.all(), *DECISION_FIELDS),
    ]
    ReviewDay.objects.all().delete()
    DecisionDay.objects.all().delete()
    FeeDay.objects.update(payments=0)
    LookupDay.objects.all().delete()

    call_command("rollup_reports", days=5, stdout=io.StringIO())

    assert [
        rows(ReviewDay.objects.all(), *REVIEW_FIELDS),
        rows(FeeDay.objects.all(), *FEE_FIELDS),
        rows(LookupDay.objects.all(), *LOOKUP_FIELDS),
        rows(DecisionDay.objects.all(), *DECISION_FIELDS),
    ] == kept


def test_a_step_rolled_back_is_not_counted(alice, olivia, reference_data):
    application = factories.ready_to_pay(alice, reference_data)
    fund(alice, 1000)
    wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    workflow.application_submit(application_id=application.pk, exporter=alice)
    counted = rows(FeeDay.objects.all(), *FEE_FIELDS)

    def start_review_then_fail() -> None:
        with transaction.atomic():
            workflow.application_start_review(application_id=application.pk, officer=olivia)
            workflow.application_approve(application_id=application.pk, officer=olivia)
            raise RuntimeError("something later in the same transaction failed")

    with pytest.raises(RuntimeError):
        start_review_then_fail()

    assert not ReviewDay.objects.exists()
    assert not DecisionDay.objects.exists()
    assert rows(FeeDay.objects.all(), *FEE_FIELDS) == counted
