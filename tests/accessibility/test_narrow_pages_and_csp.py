"""Issue 33: at 360 px nothing on the exporter's and the verifier's main pages scrolls the page
sideways (the upload check's and the credential check's results, the goods table of "Check
your answers" and of the application page, whose criterion, weight and FOB columns used to
hide); and no page of the exporter's journey makes Chromium report a Content Security Policy
violation in its console. One Chromium for the module; screenshots at 360 and 1280 px."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.test import Client

from certificates.models import Certificate
from review.services import application_approve
from tests import factories
from tests.certificates.factories import application_under_review
from tests.factories import pdf_bytes

from .test_responsive_tables import signed_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eic_signing_key"),
]

LONG = "Men's woven cotton trousers, indigo dyed, with zip fly and two side pockets"
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def world(alice, olivia, eic_mumbai):
    """Alice's preferential draft (criterion column shown) with long goods, and a certificate
    issued to her, its PDF and its credential."""
    aifta = factories.TradeAgreementFactory()
    eic_mumbai.agency.agreements.add(aifta)
    factories.FeeFactory(certificate_type="preferential", amount=Decimal("500.00"))
    draft = factories.ApplicationFactory(
        complete=True,
        exporter=alice,
        certificate_type="preferential",
        agreement=aifta,
        destination_country="ID",
        office=eic_mumbai,
    )
    factories.InvoiceFactory(application=draft)
    for position in (1, 2):
        factories.LineItemFactory(
            application=draft,
            position=position,
            description=LONG,
            origin_criterion="RVC",
            criterion_percentage=Decimal("40"),
            gross_weight_kg=Decimal("12500.500"),
            fob_value=Decimal("1234567.89"),
        )
    factories.DocumentFactory(application=draft, kind="commercial_invoice")
    reviewed = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    # pyHanko's signing calls asyncio.run(), refused in this thread (Playwright's loop).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(application_approve, application_id=reviewed.pk, officer=olivia).result()
    certificate = Certificate.objects.get(application=reviewed)
    anyone = Client()
    credential = anyone.get(
        f"/verify/vc/{certificate.number}", {"code": certificate.verification_code}
    ).content.decode()
    return {"draft": draft, "certificate": certificate, "credential": credential}


def exporter_pages(world) -> list[str]:
    ref, issued = world["draft"].reference, world["certificate"].application.reference
    return [
        "/applications/",
        "/applications/new/",
        f"/applications/{ref}/tasks/",
        f"/applications/{ref}/parties/",
        f"/applications/{ref}/goods/",
        f"/applications/{ref}/goods/add/",
        f"/applications/{ref}/documents/",
        f"/applications/{ref}/check/",
        f"/applications/{issued}/",
        "/applications/wallet/",
        "/accounts/firm/agents/",
        "/accounts/profile/",
        "/verify/",
        "/verify/document/",
        "/verify/credential/",
    ]


@pytest.mark.parametrize("width", [360, 1280])
def test_nothing_scrolls_sideways_and_every_goods_column_is_on_screen(
    browser_instance, live_server, screenshot, world, alice, width
):
    context = browser_instance.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800}
    )
    try:
        exporter = Client()
        exporter.force_login(alice)
        signed_in(context, live_server, exporter)
        page = context.new_page()
        draft, certificate = world["draft"], world["certificate"]
        for name, path in (
            ("check", f"/applications/{draft.reference}/check/"),
            ("application", f"/applications/{certificate.application.reference}/"),
        ):
            page.goto(path)
            screenshot(page, f"{width}-{name}")
            assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at {width}px"
        # Every goods cell of "Check your answers" (criterion, weight and FOB included) and of
        # the application page is on screen, and the goods table does not scroll in its box.
        for path, labels in (
            (f"/applications/{draft.reference}/check/", ("Criterion", "Gross kg", "FOB")),
            (f"/applications/{certificate.application.reference}/", ("Gross kg", "FOB")),
        ):
            page.goto(path)
            for label in labels:
                cells = page.locator(f"td[data-label='{label}']")
                assert cells.count() == 2, f"{path} {label}"
                for i in range(2):
                    box = cells.nth(i).bounding_box()
                    assert box is not None
                    assert box["x"] >= 0, f"{path} {label} starts off screen at {width}px"
                    assert box["x"] + box["width"] <= width, f"{path} {label} at {width}px"
            hidden = page.locator("td[data-label='FOB']").first.evaluate(
                "cell => { const box = cell.closest('.table-wrap');"
                " return box ? box.scrollWidth - box.clientWidth : 0; }"
            )
            assert hidden <= 0, f"{path}: the goods table scrolls in its box at {width}px"

        page.goto("/verify/document/")
        page.set_input_files(
            "input[type=file]",
            files=[
                {
                    "name": "certificate.pdf",
                    "mimeType": "application/pdf",
                    "buffer": pdf_bytes(certificate),
                }
            ],
        )
        page.get_by_role("button", name="Check the PDF").click()
        page.wait_for_selector(".verdict")
        screenshot(page, f"{width}-upload-check")
        assert "Authentic and unaltered" in page.inner_text(".verdict")
        assert page.evaluate(OVERFLOW) <= 0, f"the upload check scrolls sideways at {width}px"

        page.goto("/verify/credential/")
        page.locator("textarea").fill(world["credential"])
        page.get_by_role("button", name="Check the credential").click()
        page.wait_for_selector(".verdict")
        screenshot(page, f"{width}-credential-check")
        assert "Valid credential" in page.inner_text(".verdict")
        assert page.evaluate(OVERFLOW) <= 0, f"the credential check scrolls sideways at {width}px"
    finally:
        context.close()


def test_no_page_of_the_exporters_journey_reports_a_csp_violation(
    browser_instance, live_server, world, alice
):
    context = browser_instance.new_context(base_url=live_server.url)
    try:
        exporter = Client()
        exporter.force_login(alice)
        signed_in(context, live_server, exporter)
        page = context.new_page()
        violations: list[str] = []

        def on_console(message) -> None:
            text = message.text
            if message.type == "error" and (
                "Content Security Policy" in text or "Content-Security-Policy" in text
            ):
                violations.append(f"{page.url}: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: violations.append(f"{page.url}: {error}"))
        for path in exporter_pages(world):
            response = page.goto(path)
            assert response is not None
            assert response.status == 200, path
            page.wait_for_load_state("networkidle")
        assert not violations, "\n".join(violations)
    finally:
        context.close()
