"""Chromium at 1280 and 360 px: the queue's "Assigned to me" label sits next to its checkbox."""

from __future__ import annotations

import pytest

from .test_browser_review import sign_in_officer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 360])
def test_assigned_to_me_is_next_to_its_checkbox(page, screenshot, olivia, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_officer(page, olivia)
    page.goto("/officer/")
    box = page.get_by_label("Assigned to me").bounding_box()
    label = page.locator("label", has_text="Assigned to me").bounding_box()
    assert box is not None
    assert label is not None
    assert box["width"] <= 40  # a checkbox, not a 10rem-wide field with the box drawn in its middle
    gap = label["x"] - (box["x"] + box["width"])
    assert 0 <= gap <= 16, gap
    assert abs((label["y"] + label["height"] / 2) - (box["y"] + box["height"] / 2)) <= 8
    screenshot(page, f"queue-filters-{width}")
