"""At 360 px the goods, invoices and documents tables stack into one card per row, so every
row action (Change, Remove, Replace, Delete) is on screen, and the Status column of My
applications and the officer queue is not cut off (issue 14, acceptance 3)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from accounts import members
from applications.models import DocumentKind, Status
from tests.accounts.agent_factories import kiran_logistics
from tests.clients import verified_client
from tests.factories import FirmMemberFactory
from tests.officer.factories import ApplicationFactory, LineItemFactory, submitted_application

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG = "Men's woven cotton trousers, indigo dyed, with zip fly and two side pockets"

# Every row action and status cell, and the page's widest point: what must fit at 360 px.
MEASURE = """(selector) => ({
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  viewport: window.innerWidth,
  boxes: [...document.querySelectorAll(selector)].map(el => {
    const r = el.getBoundingClientRect();
    return {text: el.innerText.trim(), left: r.left, right: r.right, width: r.width,
            visible: r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"};
  }),
})"""
ACTIONS = "td.actions a, td.actions button"


def signed_in(context, live_server, client: Client) -> None:
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def assert_all_within(page, selector: str, expected: int, where: str) -> None:
    result = page.evaluate(MEASURE, selector)
    assert result["overflow"] <= 0, f"{where}: the page scrolls sideways by {result['overflow']}px"
    boxes = result["boxes"]
    assert len(boxes) == expected, f"{where}: {len(boxes)} of {expected} found: {boxes}"
    outside = [
        b for b in boxes if not b["visible"] or b["left"] < 0 or b["right"] > result["viewport"]
    ]
    assert not outside, f"{where}: off screen at {result['viewport']}px: {outside}"


@pytest.fixture
def draft(alice, eic_mumbai):
    """Alice's draft with the longest rows an exporter types: two items, two invoices, the
    two required documents and another."""
    application = submitted_application(
        exporter=alice, office=eic_mumbai, status=Status.DRAFT, items=1, documents=3
    )
    LineItemFactory(application=application, position=2, description=LONG)
    application.invoices.create(
        number="EXP/2026/LONG-INVOICE-00042", date="2026-11-20", currency="EUR"
    )
    return application


@pytest.mark.parametrize("width", [360, 1280])
def test_every_row_action_and_status_is_on_screen(
    browser_instance, live_server, screenshot, draft, alice, olivia, eic_mumbai, width
):
    for _ in range(3):
        submitted_application(exporter=alice, office=eic_mumbai)
    ApplicationFactory(exporter=alice, office=eic_mumbai, status=Status.CLARIFICATION_REQUESTED)
    firm = alice.exporter_profile.iec_record
    FirmMemberFactory(firm=firm, role="preparer", user__email="priya.nair.long@example.com")
    members.member_invite(
        actor=alice,
        firm_id=firm.pk,
        name="Sam Iyer",
        email="sam.iyer@example.com",
        role="signatory",
    )
    kiran_logistics(firm, alice)
    context = browser_instance.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}
    )
    try:
        exporter = Client()
        exporter.force_login(alice)
        signed_in(context, live_server, exporter)
        page = context.new_page()
        ref = draft.reference
        kinds_replaceable = draft.documents.exclude(kind=DocumentKind.OTHER).count()
        for path, selector, expected in [
            (f"/applications/{ref}/goods/", ACTIONS, 2 * 2),  # Change and Remove per item
            (f"/applications/{ref}/invoices/", ACTIONS, 2),  # Remove per invoice
            # Replace per required document, Delete per document
            (f"/applications/{ref}/documents/", ACTIONS, kinds_replaceable + 3),
            ("/applications/", "td[data-label=Status] .tag", 5),
            # The firm's people: Change role and Remove per member, Cancel per invitation;
            # its agents: Withdraw per authorisation.
            ("/accounts/people/", "td[data-label=Actions] a, td[data-label=Actions] button", 5),
            ("/accounts/firm/agents/", "td[data-label=Action] a", 1),
        ]:
            page.goto(path)
            screenshot(page, f"{width}-{path.strip('/').split('/')[-1] or 'list'}")
            assert_all_within(page, selector, expected, path)
        context.clear_cookies()
        signed_in(context, live_server, verified_client(olivia))
        page.goto("/officer/")
        screenshot(page, f"{width}-officer-queue")
        queued = page.locator("td[data-label=Status] .tag").count()
        assert queued >= 3
        assert_all_within(page, "td[data-label=Status] .tag", queued, "/officer/")
        # The review page's goods and invoices: every cell of every row on screen.
        under_review = submitted_application(exporter=alice, office=eic_mumbai)
        page.goto(f"/officer/applications/{under_review.reference}/")
        screenshot(page, f"{width}-officer-review")
        cells = 8 * under_review.items.count() + 3 * under_review.invoices.count()
        assert_all_within(page, "table.table--stack td[data-label]", cells, "review")
    finally:
        context.close()
