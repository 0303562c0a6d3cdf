"""Acceptance 5: the queue and the review page cost the same number of queries with 1 and
with 50 applications, items, documents and events."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import ApplicationEvent, DocumentKind, Status

from .factories import ApplicationFactory, InvoiceFactory, document_for


def count_queries(client, url: str) -> int:
    client.get(url)  # warm: session and OTP device rows are read the same way each time
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_costs_the_same_with_1_and_50_applications(
    make_application, alice, eic_mumbai, olivia, officer_client
):
    client = officer_client(olivia)
    url = reverse("officer:queue")
    make_application()
    one = count_queries(client, url)

    base = timezone.now() - dt.timedelta(days=10)
    for n in range(49):
        application = ApplicationFactory(
            exporter=alice,
            office=eic_mumbai,
            submitted_at=base + dt.timedelta(hours=n),
            assigned_officer=olivia if n % 2 else None,
        )
        InvoiceFactory(application=application)
    fifty = count_queries(client, url)
    searched = count_queries(client, url + "?q=INV&scope=all&mine=on")

    assert one == fifty
    # A search adds its plan's probe (review.selectors._search), once for the tab counts and
    # once for the page, whatever the number of applications.
    assert searched == one + 2
    assert one <= 12


def test_the_review_page_costs_the_same_with_1_and_50_items_documents_and_events(
    make_application, olivia, officer_client
):
    client = officer_client(olivia)
    small = make_application(items=1, documents=1, events=1)
    big = make_application(items=50, documents=50, events=50)
    for _ in range(5):  # the exporter's history with the agency
        make_application(status=Status.REJECTED, decided_at=timezone.now(), documents=0)
    ApplicationEvent.objects.create(application=big, kind="message", actor=olivia, note="hi")
    for application in (small, big):  # so that every risk check runs its query
        document_for(application, DocumentKind.BILL_OF_LADING)

    one = count_queries(client, reverse("officer:review", args=[small.reference]))
    fifty = count_queries(client, reverse("officer:review", args=[big.reference]))

    assert one == fifty
    assert one <= 20  # 16, and the four risk checks (invoices, bill of lading, HS, values)


def test_every_tab_and_a_later_page_cost_the_same_as_the_first(
    make_application, alice, eic_mumbai, olivia, officer_client
):
    client = officer_client(olivia)
    url = reverse("officer:queue")
    base = timezone.now() - dt.timedelta(days=10)
    for n in range(30):
        ApplicationFactory(
            exporter=alice, office=eic_mumbai, submitted_at=base + dt.timedelta(hours=n)
        )
        make_application(
            status=Status.REJECTED,
            submitted_at=base,
            decided_at=base + dt.timedelta(hours=n + 1),
            documents=0,
        )
    first = count_queries(client, url)
    later = client.get(url).context["page"].next_cursor
    decided_later = client.get(url, {"tab": "decided"}).context["page"].next_cursor

    assert later
    assert decided_later
    assert count_queries(client, f"{url}?cursor={later}") == first
    for tab in ("review", "awaiting", "decided"):
        assert count_queries(client, f"{url}?tab={tab}&scope=all") == first
    assert count_queries(client, f"{url}?tab=decided&cursor={decided_later}") == first


def test_the_dashboard_costs_the_same_with_1_and_50_overdue_applications(
    make_application, alice, eic_mumbai, olivia, officer_client
):
    client = officer_client(olivia)
    url = reverse("officer:dashboard")
    old = timezone.now() - dt.timedelta(days=20)
    make_application(submitted_at=old, documents=0)
    one = count_queries(client, url)
    for n in range(49):
        ApplicationFactory(
            exporter=alice, office=eic_mumbai, submitted_at=old + dt.timedelta(minutes=n)
        )
        make_application(
            status=Status.APPROVED,
            submitted_at=old,
            decided_at=timezone.now() - dt.timedelta(hours=n),
            documents=0,
        )
    fifty = count_queries(client, url)
    later = client.get(url).context["stats"].overdue.next_cursor

    assert later
    assert one == fifty == count_queries(client, f"{url}?cursor={later}")
    assert one <= 11  # session, officer, counts, overdue page, median, late certificates
