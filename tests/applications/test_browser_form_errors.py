"""Chromium at 1280 and 360 px: a form submitted empty shows each field's message, the error
summary takes the focus (static/js/autofocus.js) and its links lead to the fields."""

from __future__ import annotations

import pytest

from applications.models import Status
from tests import factories
from tests.browser import sign_in_exporter
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 360])
def test_an_empty_form_focuses_its_error_summary(page, screenshot, alice, draft, width):
    page.set_viewport_size({"width": width, "height": 900})
    factories.InvoiceFactory(
        application=factories.ApplicationFactory(exporter=alice), number="EXP/0042"
    )
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)

    page.goto(f"/applications/{draft.reference}/transport/")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_load_state()
    summary = page.locator(".error-summary")
    assert summary.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert "Enter the port of loading." in summary.inner_text()
    assert "This field is required." not in page.content()
    screenshot(page, f"transport-errors-{width}")
    summary.get_by_role("link", name="Enter the port of loading.").click()
    assert page.evaluate("document.activeElement.id") == "id_port_of_loading"

    page.goto(f"/applications/{draft.reference}/goods/add/")
    page.get_by_role("button", name="Save item").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    screenshot(page, f"item-errors-{width}")

    page.goto(f"/applications/{draft.reference}/invoices/")
    page.get_by_label("Invoice number").fill("EXP/0042")
    page.get_by_label("Invoice date").fill("2020-01-01")
    page.get_by_label("Currency").fill("XYZ")
    page.get_by_role("button", name="Add invoice").click()
    assert "XYZ is not an ISO 4217 currency code" in page.content()
    screenshot(page, f"invoice-errors-{width}")

    page.goto(f"/applications/{draft.reference}/parties/")
    screenshot(page, f"parties-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [1280, 360])
def test_an_empty_reply_is_an_error_at_the_box_and_summary_rows_have_one_line(
    page, screenshot, alice, ready, width
):
    ready.status = Status.CLARIFICATION_REQUESTED  # set up: the officer has asked
    ready.save(update_fields=["status"])
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)

    page.goto(f"/applications/{ready.reference}/check/")
    page.get_by_role("button", name="Reply and resubmit").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/applications/{ready.reference}/submit/")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.locator("#id_reply_error").inner_text().endswith("Enter your reply to the officer.")
    screenshot(page, f"reply-error-{width}")

    # One line under each row of a summary list: the answer and its (maybe empty) "Change"
    # cell do not each draw one.
    lines = page.evaluate(
        """() => [...document.querySelectorAll('dl.summary > div')].map(row =>
            [row, ...row.children].filter(el => {
                const s = getComputedStyle(el);
                return s.display !== 'none' && s.display !== 'contents'
                    && parseFloat(s.borderBottomWidth) > 0;
            }).length)"""
    )
    assert lines
    assert set(lines) == ({1} if width == 360 else {3})  # at 1280: one line across 3 cells


@pytest.mark.parametrize("width", [1280, 360])
def test_each_summary_answer_is_on_its_label_row(page, screenshot, alice, ready, width):
    """The receipt, the sandbox page and the profile: each dd starts on the row of its dt (an
    empty trailing dd used to take a grid row of its own, doubling the lines)."""
    factories.PaymentFactory(application=ready)  # captured: the receipt exists
    unpaid = factories.PaymentFactory(
        application=factories.ApplicationFactory(exporter=alice), state="created"
    )
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
    for path in (
        f"/applications/{ready.reference}/receipt/",
        f"/applications/payments/sandbox/{unpaid.order_id}/",
        "/accounts/profile/",
    ):
        page.goto(path)
        screenshot(page, f"{path.strip('/').split('/')[-2]}-{width}")
        rows = page.evaluate(
            """() => [...document.querySelectorAll('dl.summary > div')].map(row => {
                const dt = row.querySelector('dt').getBoundingClientRect();
                return [...row.querySelectorAll('dd')].map(dd => {
                    const r = dd.getBoundingClientRect();
                    return {height: r.height, top: r.top - dt.top};
                });
            })"""
        )
        assert rows, path
        for dds in rows:
            assert all(dd["height"] > 0 for dd in dds), f"{path}: an empty answer cell: {dds}"
            if width == 1280:
                assert all(abs(dd["top"]) < 2 for dd in dds), f"{path}: off its row: {dds}"
