"""The queue's tabs, search and pagination; the dashboard's working-day age and median."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Status
from review.selectors import dashboard_stats, working_days_between
from tests.accounts.agent_factories import kiran_logistics


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


def test_queue_pages_by_25_oldest_first_and_back(make_application, olivia, officer_client):
    base = timezone.now() - dt.timedelta(days=5)
    made = [
        make_application(documents=0, submitted_at=base + dt.timedelta(minutes=n))
        for n in range(26)
    ]
    client = officer_client(olivia)

    first = client.get(reverse("officer:queue"))
    assert [a.reference for a in first.context["page"]] == [a.reference for a in made[:25]]
    assert first.context["page"].has_next
    assert not first.context["page"].has_previous

    second = client.get(reverse("officer:queue"), {"cursor": first.context["page"].next_cursor})
    assert [a.reference for a in second.context["page"]] == [made[25].reference]
    assert not second.context["page"].has_next

    back = client.get(reverse("officer:queue"), {"cursor": second.context["page"].previous_cursor})
    assert [a.reference for a in back.context["page"]] == [a.reference for a in made[:25]]
    assert 'rel="next"' in back.content.decode()


def test_a_malformed_cursor_shows_the_first_page(make_application, olivia, officer_client):
    application = make_application(documents=0)
    page = officer_client(olivia).get(reverse("officer:queue"), {"cursor": "not-a-cursor!"})
    assert [a.reference for a in page.context["page"]] == [application.reference]


def test_tab_counts_stop_at_the_limit(make_application, olivia, officer_client, monkeypatch):
    monkeypatch.setattr("core.pagination.COUNT_LIMIT", 2)
    for _ in range(3):
        make_application(documents=0)
    make_application(status=Status.UNDER_REVIEW, assigned_officer=olivia, documents=0)
    page = officer_client(olivia).get(reverse("officer:queue")).content.decode()
    assert 'New <span class="count">(2+)</span>' in page
    assert 'In review <span class="count">(1)</span>' in page


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
    assert stats.overdue_count == 1
    assert stats.median_decision == dt.timedelta(hours=4)
    assert stats.decisions_counted == 3
    assert {s: n for s, _, n in stats.decided}["approved"] == 3
    assert {s: n for s, _, n in stats.counts}["submitted"] == 2


def test_the_dashboard_leaves_decisions_older_than_30_days_out(make_application, olivia):
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    for days in (3, 40):
        make_application(
            status=Status.REJECTED,
            submitted_at=now - dt.timedelta(days=days, hours=5),
            decided_at=now - dt.timedelta(days=days),
        )
    stats = dashboard_stats(profile=olivia.officer_profile, now=now)
    assert {s: n for s, _, n in stats.decided}["rejected"] == 1
    assert stats.decisions_counted == 1
    assert stats.median_decision == dt.timedelta(hours=5)


def test_the_overdue_list_pages_by_25(make_application, olivia, officer_client):
    old = timezone.now() - dt.timedelta(days=20)
    for n in range(26):
        make_application(documents=0, submitted_at=old + dt.timedelta(minutes=n))
    client = officer_client(olivia)
    first = client.get(reverse("officer:dashboard"))
    stats = first.context["stats"]
    assert len(stats.overdue) == 25
    assert stats.overdue_count == 26
    second = client.get(reverse("officer:dashboard"), {"cursor": stats.overdue.next_cursor})
    assert len(second.context["stats"].overdue) == 1


def test_the_dashboard_page_shows_the_agencys_numbers(make_application, olivia, officer_client):
    make_application()
    page = officer_client(olivia).get(reverse("officer:dashboard"))
    assert page.status_code == 200
    assert 'data-status="submitted">1<' in page.content.decode()


def test_the_queue_and_the_dashboard_read_only_statuses_that_follow_a_submission():
    """_queue_base and dashboard_stats filter on these statuses alone (no first_submitted_at
    test, to keep their counts index-only): none may be a status a draft can have."""
    from review.selectors import (
        DECIDED_COUNTED,
        OPEN_COUNTED,
        OVERDUE_STATUSES,
        TABS,
    )

    read = {s for tab in TABS for s in tab.statuses}
    read |= {*OPEN_COUNTED, *DECIDED_COUNTED, *OVERDUE_STATUSES}
    assert Status.SUBMITTED in read
    assert not read & {Status.DRAFT, Status.WITHDRAWN}


def test_a_short_queue_search_matches_whole_invoice_numbers_only(
    make_application, olivia, officer_client
):
    """Issue 34: a search under three characters matches whole values (no index serves such a
    substring over a million rows); three or more is a substring search."""
    whole, part = make_application(), make_application()
    whole.invoices.update(number="Z9")
    part.invoices.update(number="INV-Z9-2026")
    client = officer_client(olivia)

    short = client.get(reverse("officer:queue"), {"q": "z9"}).content.decode()
    assert whole.reference in short
    assert part.reference not in short
    longer = client.get(reverse("officer:queue"), {"q": "-Z9-"}).content.decode()
    assert part.reference in longer
    assert whole.reference not in longer


@pytest.mark.parametrize("few", [2000, 0], ids=["set of ids", "or filter"])
def test_both_queue_search_plans_find_the_same_applications(
    make_application, olivia, officer_client, monkeypatch, few
):
    from applications import selectors

    monkeypatch.setattr(selectors, "FEW_MATCHES", few)
    first, second = make_application(), make_application()
    first.invoices.update(number="INV-QX-1")
    client = officer_client(olivia)

    by_invoice = client.get(reverse("officer:queue"), {"q": "qx-1"}).content.decode()
    assert first.reference in by_invoice
    assert second.reference not in by_invoice
    by_firm = client.get(reverse("officer:queue"), {"q": second.firm.firm_name[:6]})
    assert second.reference in by_firm.content.decode()
    by_iec = client.get(reverse("officer:queue"), {"q": second.firm.iec}).content.decode()
    assert second.reference in by_iec


def test_the_queue_shows_who_filed_each_application(
    make_application, alice, olivia, officer_client
):
    by_member = make_application(submitted_by=alice, submitted_as="Signatory")
    kiran = kiran_logistics(alice.exporter_profile.iec_record, alice)
    by_agent = make_application(
        filed_by_agent=kiran.agent,
        submitted_by=kiran.user,
        submitted_as="agent's staff, Kiran Logistics",
    )
    older = make_application(submitted_by=None, submitted_as="", filed_by_agent=kiran.agent)

    page = officer_client(olivia).get(reverse("officer:queue"))
    rows = {row.reference for row in page.context["page"]}
    html = page.content.decode()

    assert rows == {by_member.reference, by_agent.reference, older.reference}
    assert '<th scope="col">Filed by</th>' in html
    assert (
        f'{alice.get_full_name() or alice.username} <span class="hint">(Signatory)</span>' in html
    )
    assert "(agent&#x27;s staff, Kiran Logistics)" in html
    assert "Agent: Kiran Logistics" in html  # the older row, whose capacity was not kept


def test_the_exporters_history_counts_stop_at_the_limit(
    make_application, olivia, officer_client, monkeypatch
):
    """Issue 34: the review page's history of the firm counts at most COUNT_LIMIT + 1 of its
    applications per line and says "2+" beyond, as the queue's tabs do."""
    monkeypatch.setattr("core.pagination.COUNT_LIMIT", 2)
    reviewed = make_application(documents=0)
    for _ in range(3):
        make_application(status=Status.REJECTED, decided_at=timezone.now(), documents=0)
    make_application(documents=0)
    url = reverse("officer:review", args=[reviewed.reference])
    page = officer_client(olivia).get(url).content.decode()
    assert "<dt>Applications rejected</dt><dd>2+</dd>" in page
    assert "<dt>Other applications open</dt><dd>1</dd>" in page
    assert "<dt>Certificates approved or issued</dt><dd>0</dd>" in page


@pytest.mark.parametrize("few", [2000, 0], ids=["set of ids", "or filter"])
def test_a_queue_search_that_begins_like_a_reference_matches_from_its_start(
    make_application, olivia, officer_client, monkeypatch, few
):
    """Issue 34: letters then a hyphen ("COO-2026-") are looked up from the start of the
    references (an index range at a million rows), not anywhere in them; the page says so."""
    from applications import selectors

    monkeypatch.setattr(selectors, "FEW_MATCHES", few)
    application = make_application()
    start, inside = application.reference[:9], application.reference[1:9]  # COO-2026-, OO-2026-
    client = officer_client(olivia)

    page = client.get(reverse("officer:queue"), {"q": start.lower()}).content.decode()
    assert application.reference in page
    assert "matches the references that begin with it" in page
    inner = client.get(reverse("officer:queue"), {"q": inside}).content.decode()
    assert application.reference not in inner
    digits = client.get(reverse("officer:queue"), {"q": application.reference[4:]})
    assert application.reference in digits.content.decode()  # no letters: anywhere in it
