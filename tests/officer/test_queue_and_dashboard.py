"""The queue's tabs, search and pagination; the dashboard's working-day age and median."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from applications.models import Status
from applications.officer_selectors import dashboard_stats, working_days_between


def test_friday_to_monday_is_one_working_day():
    friday = dt.date(2026, 11, 20)
    assert working_days_between(friday, friday + dt.timedelta(days=3)) == 1
    assert working_days_between(friday, friday + dt.timedelta(days=14)) == 10


def test_queue_tabs_count_and_search_finds_by_invoice_number(
    make_application, olivia, officer_client
):
    new = make_application()
    make_application(status=Status.UNDER_REVIEW, assigned_officer=olivia)
    make_application(status=Status.REJECTED, decided_at=timezone.now())
    client = officer_client(olivia)

    page = client.get(reverse("officer:queue")).content.decode()
    assert 'New <span class="count">(1)</span>' in page
    assert 'In review <span class="count">(1)</span>' in page
    assert 'Decided <span class="count">(1)</span>' in page

    number = new.invoices.first().number
    found = client.get(reverse("officer:queue"), {"q": number}).content.decode()
    assert new.reference in found


def test_queue_pages_by_25(make_application, olivia, officer_client):
    for _ in range(26):
        make_application(documents=0)
    page = officer_client(olivia).get(reverse("officer:queue")).content.decode()
    assert "Page 1 of 2" in page


def test_dashboard_overdue_and_median(make_application, olivia):
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday
    make_application(submitted_at=now - dt.timedelta(days=6))
    make_application(submitted_at=now - dt.timedelta(hours=3))
    for hours in (2, 4, 30):
        make_application(
            status=Status.APPROVED,
            submitted_at=now - dt.timedelta(days=3),
            decided_at=now - dt.timedelta(days=3) + dt.timedelta(hours=hours),
        )

    stats = dashboard_stats(profile=olivia.officer_profile, now=now)

    assert len(stats.overdue) == 1
    assert stats.median_decision == dt.timedelta(hours=4)
    assert {s: n for s, _, n in stats.counts}["approved"] == 3


def test_the_dashboard_page_shows_the_agencys_numbers(make_application, olivia, officer_client):
    make_application()
    page = officer_client(olivia).get(reverse("officer:dashboard"))
    assert page.status_code == 200
    assert 'data-status="submitted">1<' in page.content.decode()
