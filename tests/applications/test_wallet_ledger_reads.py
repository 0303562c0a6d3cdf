"""The fee wallet's ledger grows by an entry per top-up and per fee, forever: what reads it
reads a part of it through an index (issue 34; bench/pages.py times the pages at a million
entries)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from applications.models import WalletEntry

pytestmark = pytest.mark.django_db


def test_a_days_wallet_movements_are_read_through_the_created_at_index_on_postgresql(eic):
    """The agency's settlement of a day (applications/gst_register.settlement_report) lists
    the wallet's fee movements of that day; without the index, every ledger's every entry
    was read (0.45 s at a million entries)."""
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    start = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    day = WalletEntry.objects.filter(
        created_at__gte=start, created_at__lt=start + timedelta(days=1)
    ).order_by("created_at")
    sql, params = day.query.sql_with_params()
    with connection.cursor() as cursor:
        # The test's tables are nearly empty, where a sequential scan is rightly cheaper:
        # ask which index the planner would take when reading the whole table costs more.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "walletentry_created" in plan, plan


def test_a_days_settlement_lists_the_wallet_fees_of_the_agencys_applications_only(
    alice, reference_data, eic, fieo
):
    """The day's wallet entries are read first, then which of their applications are the
    agency's (issue 34: a join walked every application of the agency)."""
    from applications import wallet
    from applications.gst_register import settlement_report
    from tests.factories import ready_to_pay

    from .wallet_helpers import fund

    fund(alice, 1000)
    application = ready_to_pay(alice, reference_data)
    wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    today = timezone.localdate()

    ours = [row for row in settlement_report(eic, today, []) if row.what.startswith("Wallet")]
    assert [(row.what, row.portal_paise) for row in ours] == [("Wallet: Fee paid", 50000)]
    theirs = settlement_report(fieo, today, [])
    assert not [row for row in theirs if row.what.startswith("Wallet")]
    yesterday = settlement_report(eic, today - timedelta(days=1), [])
    assert not [row for row in yesterday if row.what.startswith("Wallet")]
