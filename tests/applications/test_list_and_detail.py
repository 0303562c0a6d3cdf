"""My Applications and the detail page: filters, search, pages, a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import ApplicationEvent
from tests import factories

pytestmark = pytest.mark.django_db
LIST = "/applications/"


def test_the_list_shows_only_my_applications(alice, bob, alice_client, reference_data):
    mine = factories.ApplicationFactory(exporter=alice, office=reference_data["fieo_delhi"])
    factories.ApplicationFactory(exporter=bob, office=reference_data["fieo_delhi"])
    response = alice_client.get(LIST)
    assert list(response.context["page_obj"]) == [mine]


def test_filter_by_status_and_search_by_reference_or_invoice(alice, alice_client, ready):
    other = factories.ApplicationFactory(exporter=alice, office=ready.office)
    factories.InvoiceFactory(application=other, number="EXP/99/ZETA")
    ready.events.create(kind=ApplicationEvent.Kind.MESSAGE, note="x")
    assert list(alice_client.get(LIST, {"q": "zeta"}).context["page_obj"]) == [other]
    assert list(alice_client.get(LIST, {"q": ready.reference}).context["page_obj"]) == [ready]
    assert len(alice_client.get(LIST, {"status": "draft"}).context["page_obj"]) == 2
    assert len(alice_client.get(LIST, {"status": "submitted"}).context["page_obj"]) == 0


def test_the_list_pages_by_25(alice, alice_client, reference_data):
    factories.ApplicationFactory.create_batch(
        26, exporter=alice, office=reference_data["fieo_delhi"]
    )
    first = alice_client.get(LIST)
    assert len(first.context["page_obj"]) == 25
    cursor = first.context["page_obj"].next_cursor
    second = alice_client.get(LIST, {"cursor": cursor}).context["page_obj"]
    assert len(second) == 1
    shown = {a.pk for a in first.context["page_obj"]} | {a.pk for a in second}
    assert len(shown) == 26  # every application once, none twice


def test_a_page_of_the_list_keeps_the_status_filter(alice, alice_client, reference_data):
    factories.ApplicationFactory.create_batch(
        26, exporter=alice, office=reference_data["fieo_delhi"]
    )
    factories.ApplicationFactory(
        exporter=alice, office=reference_data["fieo_delhi"], status="withdrawn"
    )
    first = alice_client.get(LIST, {"status": "draft"})
    assert f"status=draft&amp;q=&amp;cursor={first.context['page_obj'].next_cursor}" in (
        first.content.decode()
    )
    second = alice_client.get(
        LIST, {"status": "draft", "cursor": first.context["page_obj"].next_cursor}
    )
    assert [a.status for a in second.context["page_obj"]] == ["draft"]


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_uses_the_same_number_of_queries_for_1_or_50(alice, alice_client, reference_data):
    factories.ApplicationFactory(
        exporter=alice, office=reference_data["fieo_delhi"], agreement=None
    )
    one = count_queries(alice_client, LIST)
    factories.ApplicationFactory.create_batch(
        49,
        exporter=alice,
        office=reference_data["eic_mumbai"],
        certificate_type="preferential",
        agreement=reference_data["aifta"],
    )
    assert count_queries(alice_client, LIST) == one
    cursor = alice_client.get(LIST).context["page_obj"].next_cursor
    assert count_queries(alice_client, LIST + f"?cursor={cursor}") == one


def grow(application, n: int) -> None:
    for i in range(n):
        factories.LineItemFactory(application=application, origin_criterion="WO")
        factories.InvoiceFactory(application=application)
        factories.DocumentFactory(
            application=application, kind="other", original_name=f"doc{i}.pdf"
        )
        ApplicationEvent.objects.create(
            application=application, kind="message", actor=application.exporter, note=f"note {i}"
        )


def test_the_detail_page_uses_the_same_number_of_queries_for_1_or_50(alice_client, ready):
    url = reverse("applications:detail", args=[ready.reference])
    factories.PaymentFactory(application=ready)
    one = count_queries(alice_client, url)
    grow(ready, 49)
    assert count_queries(alice_client, url) == one
    for name in ("tasks", "check", "goods"):
        page = reverse(f"applications:{name}", args=[ready.reference])
        before = count_queries(alice_client, page)
        grow(ready, 3)
        assert count_queries(alice_client, page) == before, name


def test_the_detail_page_shows_the_timeline(alice_client, ready):
    factories.PaymentFactory(application=ready)
    from applications import workflow

    workflow.application_submit(application_id=ready.pk, exporter=ready.exporter)
    page = alice_client.get(reverse("applications:detail", args=[ready.reference]))
    text = page.content.decode()
    assert "Submitted" in text
    assert "History" in text
    assert "Change" not in text  # read-only after submit


def test_a_short_search_matches_whole_invoice_numbers_only(alice, alice_client, ready):
    """Issue 34: one or two characters are looked for as whole values (no index finds such a
    substring), so "7" finds invoice "7" but not invoice "EXP/77"; longer searches are
    substrings."""
    whole = factories.ApplicationFactory(exporter=alice, office=ready.office)
    factories.InvoiceFactory(application=whole, number="7")
    part = factories.ApplicationFactory(exporter=alice, office=ready.office)
    factories.InvoiceFactory(application=part, number="EXP/77")

    assert list(alice_client.get(LIST, {"q": "7"}).context["page_obj"]) == [whole]
    assert list(alice_client.get(LIST, {"q": "P/7"}).context["page_obj"]) == [part]
    page = alice_client.get(LIST).content.decode()
    assert "a shorter search matches a whole reference or invoice number" in page


@pytest.mark.parametrize("few", [2000, 0], ids=["set of ids", "or filter"])
def test_both_search_plans_find_the_same_applications(alice, alice_client, ready, monkeypatch, few):
    """Issue 34: few matches are looked up as a set of ids, many through an OR filter read in
    the list's order; both must answer alike (0 forces the second plan)."""
    from applications import selectors

    monkeypatch.setattr(selectors, "FEW_MATCHES", few)
    other = factories.ApplicationFactory(exporter=alice, office=ready.office)
    factories.InvoiceFactory(application=other, number="EXP/99/ZETA")
    factories.InvoiceFactory(application=ready, number="7")

    assert list(alice_client.get(LIST, {"q": "zeta"}).context["page_obj"]) == [other]
    assert list(alice_client.get(LIST, {"q": ready.reference}).context["page_obj"]) == [ready]
    assert list(alice_client.get(LIST, {"q": "7"}).context["page_obj"]) == [ready]


@pytest.mark.parametrize("few", [2000, 0], ids=["set of ids", "or filter"])
def test_a_search_that_begins_like_a_reference_matches_from_its_start(
    alice, alice_client, ready, monkeypatch, few
):
    """Issue 34: letters then a hyphen ("COO-2026-") are looked up from the start of the
    references (an index range at a million rows), not anywhere in them; the page says so."""
    from applications import selectors

    monkeypatch.setattr(selectors, "FEW_MATCHES", few)
    start, inside = ready.reference[:9], ready.reference[1:9]  # COO-2026-, OO-2026-

    assert list(alice_client.get(LIST, {"q": start.lower()}).context["page_obj"]) == [ready]
    assert list(alice_client.get(LIST, {"q": inside}).context["page_obj"]) == []
    assert list(alice_client.get(LIST, {"q": ready.reference[4:]}).context["page_obj"]) == [ready]
    page = alice_client.get(LIST).content.decode()
    assert "matches the references that begin with it" in page


@pytest.mark.parametrize("query", ["ab", "abc", "COO-2026"])
def test_an_agent_no_firm_authorises_any_more_searches_and_finds_nothing(alice, query):
    """Kurt's authorisation by Alice's firm ended: no firm is his to see, so every search
    (short, substring, reference-like) has no scope at all to look in; it finds nothing,
    rather than fail."""
    from tests.accounts.agent_factories import kurt_forwarding
    from tests.clients import exporter_client

    kurt = kurt_forwarding(alice.exporter_profile.iec_record, alice).user

    response = exporter_client(kurt).get(reverse("applications:list"), {"q": query})

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == []
