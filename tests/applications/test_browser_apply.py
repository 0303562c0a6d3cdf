"""Chromium: Alice fills a preferential AIFTA application with three items, uploads the
documents, pays in the sandbox and submits (the same steps as the end-to-end journey)."""

from __future__ import annotations

import pytest

from accounts.sms import MemorySMSBackend
from applications.models import Application
from tests.accounts.conftest import code_from_sms
from tests.browser import sign_in_exporter
from tests.e2e.journey import apply_for_aifta
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEMS = [
    ("Cotton T-shirts, knitted", "61091000", "WO", ""),
    ("Men's cotton trousers", "62034200", "RVC+CTSH", "40"),
    ("Frozen shrimps", "03061700", "RVC", "35"),
]


def test_alice_applies_for_an_aifta_certificate_in_the_browser(
    page, screenshot, alice, reference_data, tmp_path
):
    alice.mobile = "+919811112222"  # verified at registration: the declaration's code goes there
    alice.save(update_fields=["mobile"])
    sign_in_exporter(page, alice.username, DEFAULT_PASSWORD)
    reference = apply_for_aifta(
        page,
        lambda name, pg: screenshot(pg, name),
        office_label=reference_data["eic_mumbai"].name,
        work_dir=tmp_path,
        items=ITEMS,
        signing_code=lambda: code_from_sms(
            [m for m in MemorySMSBackend.outbox if "sign the declaration" in m.body]
        ),
    )

    application = Application.objects.get(exporter=alice)
    assert application.reference == reference
    assert application.status == "submitted"
    assert [i.criterion_display for i in application.items.all()] == [
        "WO",
        "RVC+CTSH 40%",
        "RVC 35%",
    ]
    assert application.documents.count() == 2
    assert application.payments.get().state == "captured"
    assert page.failed_requests == []
