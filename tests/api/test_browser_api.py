"""In Chromium: what an agent filed through the API, an officer approves on the pages (who
sees the filer's reference and "via the API"); the API access page at 1280 and 360 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import FirmMember
from applications.models import Application, Status
from tests.applications.wallet_helpers import agents_may_pay_from_the_wallet, fund
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD
from tests.officer.test_browser_review import sign_in_officer

from .conftest import new_application, sign_declaration, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_approves_what_an_agent_filed_through_the_api(
    django_db_setup, page, live_server, screenshot, kiran_api, kiran, alice, olivia, reference_data
):
    fund(alice, 1000)
    agents_may_pay_from_the_wallet(alice)  # off by default (issue 33)
    iec = FirmMember.objects.get(user=alice).firm.iec
    reference = kiran_api.post("/applications", new_application(iec), key="b-1").json()["reference"]
    for kind in ("commercial_invoice", "packing_list"):
        upload(kiran_api, reference, kind)
    kiran_api.post(f"/applications/{reference}/fee/wallet", key="b-2")
    sign_declaration(kiran_api, reference, kiran)
    assert kiran_api.post(f"/applications/{reference}/submit", key="b-3").status_code == 200

    sign_in_officer(page, olivia)
    page.goto("/officer/")
    page.get_by_role("link", name=reference).click()
    expect(page.get_by_text("JOB-4711")).to_be_visible()
    expect(page.get_by_text("PO-99")).to_be_visible()
    expect(page.get_by_text("via the API").first).to_be_visible()
    page.get_by_role("button", name="Start review").click()
    screenshot(page, "1-officer-review")
    page.get_by_role("button", name="Approve and issue certificate").click()
    expect(page.get_by_text(re.compile(rf"{reference} is approved"))).to_be_visible()
    assert Application.objects.get(reference=reference).status in {
        Status.APPROVED,
        Status.ISSUED,
    }
    assert kiran_api.get(f"/applications/{reference}").json()["status"] in {"approved", "issued"}
    assert page.failed_requests == []


@pytest.mark.parametrize("width", [1280, 360])
def test_the_api_access_page_creates_a_token(
    django_db_setup, page, live_server, screenshot, alice, reference_data, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
    page.goto("/api-access/")
    page.get_by_label("Name (what uses it)").fill("Our ERP")
    page.get_by_label("Read", exact=True).check()
    page.get_by_label("Submit", exact=True).check()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("shown only once")).to_be_visible()
    screenshot(page, f"api-access-{width}")
    assert page.failed_requests == []
