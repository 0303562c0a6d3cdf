"""Chromium: Alice fills an item's cost sheet and sees the criterion worked out, at 1280 and
at 360 pixels wide (issue 29)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alice_works_out_an_items_criterion_from_its_cost_sheet(
    page, screenshot, alice, reference_data
):
    application = factories.aifta_draft(alice, reference_data)
    item = factories.LineItemFactory(application=application, origin_criterion="RVC+CTSH")
    factories.DocumentFactory(application=application, kind="commercial_invoice")
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)

    page.goto(reverse("applications:cost-sheet", args=[application.reference, item.pk]))
    page.locator("#id_materials-0-description").fill("Combed cotton yarn")
    page.locator("#id_materials-0-hs_code").fill("520512")
    page.locator("#id_materials-0-origin_country").select_option("VN")
    page.locator("#id_materials-0-value").fill("507.50")
    page.get_by_role("button", name="Save and work it out").click()

    page.get_by_text("Criterion worked out:").wait_for()
    assert "RVC 79.70% + CTSH" in page.content()
    screenshot(page, "cost-sheet-1280")
    page.set_viewport_size({"width": 360, "height": 800})
    screenshot(page, "cost-sheet-360")
    page.goto(reverse("applications:goods", args=[application.reference]))
    assert "Worked out:" in page.content()
    screenshot(page, "goods-360")
    assert page.failed_requests == []
