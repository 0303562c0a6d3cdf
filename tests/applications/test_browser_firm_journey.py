"""Issue 13, acceptance 6, in Chromium: Alice (her firm's administrator) invites a signatory,
who accepts through the emailed link and the SMS code; she authorises a customs broker and
tops up the fee wallet; the broker's staff (Kiran) chooses Alice's IEC, files an application
on its behalf, pays from the wallet and submits, then downloads the acknowledgement and the
tax invoice; the signatory sees the application filed by the agent; Alice withdraws the
authorisation and Kiran's next look at the application is a 404. Screenshots at 1280 and
360 px of the new pages."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import FirmMember
from accounts.sms import MemorySMSBackend
from applications.models import Application, TaxInvoice
from tests.accounts.agent_factories import AgentStaffFactory
from tests.accounts.conftest import code_from_sms
from tests.browser import sign_in_exporter
from tests.e2e.journey import apply_for_aifta
from tests.factories import DEFAULT_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAM_PASSWORD = "Harbour-Lantern-4827"


def both_widths(page, screenshot, name: str) -> None:
    screenshot(page, f"{name}-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    screenshot(page, f"{name}-360")
    page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, name: str, password: str) -> None:
    sign_in_exporter(page, name, password)  # the one sign-in form: IEC, username or email


def test_invite_authorise_file_on_behalf_pay_from_the_wallet_and_download(
    page, browser_instance, live_server, screenshot, tmp_path, alice, reference_data
):
    today = dt.datetime.now(ZoneInfo("Asia/Kolkata")).date()
    firm = alice.exporter_profile.iec_record
    kiran = AgentStaffFactory(
        agent__name="Kiran Logistics",
        agent__licence_number="CB/MUM/KIRAN",
        user__username="kiran",
        user__first_name="Kiran",
        user__last_name="Rao",
        user__email="kiran@kiran.example.com",
    )
    MemorySMSBackend.outbox.clear()

    # Alice invites a signatory.
    sign_in(page, alice.username, DEFAULT_PASSWORD)
    page.get_by_role("link", name="People").first.click()
    page.get_by_role("link", name="Invite a person").click()
    page.get_by_label("Full name").fill("Sam Shah")
    page.get_by_label("Email ID").fill("sam@alice-exports.example")
    page.get_by_role("radio", name=re.compile(r"Signatory:")).check()
    page.get_by_role("button", name="Continue").click()
    both_widths(page, screenshot, "01-invitation-check")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("sam@alice-exports.example").first).to_be_visible()

    # Sam accepts in a browser of his own: the emailed link, then the SMS code.
    (invitation,) = [m for m in mail.outbox if "sam@alice-exports.example" in m.to]
    link = re.search(r"https?://\S+/\S+", invitation.body).group(0)
    sam_context = browser_instance.new_context(base_url=live_server.url)
    sam = sam_context.new_page()
    sam.goto(urlsplit(link).path)  # the suite's SITE_URL is another host
    sam.get_by_label("Username").fill("sam.shah")
    sam.get_by_label("Password", exact=True).fill(SAM_PASSWORD)
    sam.get_by_label("Confirm the password").fill(SAM_PASSWORD)
    sam.get_by_label("Mobile number").fill("9812345678")
    sam.get_by_label("Type the characters in the image").fill("PASSED")
    sam.get_by_role("button", name="Continue: send the code").click()
    code = re.search(r"\b(\d{6})\b", MemorySMSBackend.outbox[-1].body).group(1)
    sam.get_by_label(re.compile("code", re.I)).first.fill(code)
    sam.get_by_role("button", name="Verify and join the firm").click()
    expect(sam.get_by_role("heading", name=re.compile("You have joined"))).to_be_visible()
    assert FirmMember.objects.get(user__username="sam.shah").role == "signatory"

    # Alice authorises Kiran Logistics for 30 days and tops up the wallet.
    page.get_by_role("link", name="Agents").first.click()
    page.get_by_label("Licence number").fill("CB/MUM/KIRAN")
    page.get_by_label("First day").fill(today.isoformat())
    page.get_by_label("Last day").fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Continue").click()
    both_widths(page, screenshot, "02-authorisation-check")
    page.get_by_role("button", name="Authorise Kiran Logistics").click()
    expect(page.locator("table").first).to_contain_text("CB/MUM/KIRAN")
    page.get_by_role("link", name="Fee wallet").first.click()
    page.get_by_label("Amount to add, in rupees").fill("1000")
    page.get_by_role("button", name="Continue to payment").click()
    page.get_by_role("button", name="Succeed").click()
    page.get_by_text("INR 1000.00 added to your wallet.").wait_for()

    # Kiran files for Alice's firm, pays from its wallet and submits.
    kiran_context = browser_instance.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    agent = kiran_context.new_page()
    sign_in(agent, "kiran", DEFAULT_PASSWORD)
    agent.get_by_role("link", name="Filing for").first.click()  # the IEC switcher
    agent.locator("main").get_by_label("Filing for").select_option(str(firm.pk))
    agent.get_by_role("button", name="File for this IEC").click()
    expect(agent.locator(".acting-bar")).to_contain_text(firm.iec)
    both_widths(agent, screenshot, "03-acting-for")
    reference = apply_for_aifta(
        agent,
        lambda name, pg: None,
        office_label="EIA Mumbai",
        work_dir=tmp_path,
        pay="wallet",
        firm_label=f"{firm.firm_name} (IEC {firm.iec})",
        signing_code=lambda: code_from_sms(
            [m for m in MemorySMSBackend.outbox if "sign the declaration" in m.body]
        ),
    )
    application = Application.objects.get(reference=reference)
    assert (application.firm_id, application.filed_by_agent_id) == (firm.pk, kiran.agent_id)
    assert application.submitted_by == kiran.user
    agent.goto(f"/applications/{reference}/")
    expect(agent.locator("main")).to_contain_text("Kiran Logistics")
    both_widths(agent, screenshot, "04-filed-by-agent")

    agent.get_by_role("link", name=re.compile("acknowledgement", re.I)).first.click()
    agent.get_by_role("heading", name="Acknowledgement of application").wait_for()
    invoice = TaxInvoice.objects.get(payment__application=application)
    # Both PDFs are served inline (the browser shows them): fetch each link's target with the
    # page's own session, as the browser does when it opens it.
    for name, filename in (
        ("Download as PDF", f"acknowledgement-{reference}.pdf"),
        # EIC has no GSTIN here: its document is a bill of supply (issue 26).
        (invoice.number, f"{invoice.kind.replace('_', '-')}-"),
    ):
        href = agent.get_by_role("link", name=name).first.get_attribute("href")
        response = agent.request.get(href)
        assert response.status == 200, name
        assert response.headers["content-type"] == "application/pdf"
        assert filename in response.headers["content-disposition"]
        assert response.body().startswith(b"%PDF")

    # Sam, signing in with his email, sees what the agent filed for the firm.
    sign_in(sam, "sam@alice-exports.example", SAM_PASSWORD)
    sam.goto("/applications/")
    expect(sam.locator("main")).to_contain_text(reference)

    # Alice withdraws the authorisation; Kiran's next look is a 404.
    page.get_by_role("link", name="Agents").first.click()
    page.get_by_role("link", name=re.compile("^Withdraw")).first.click()
    page.get_by_role("button", name=re.compile("^Withdraw")).click()
    expect(page.get_by_text(re.compile("Past authorisations"))).to_be_visible()
    response = agent.goto(f"/applications/{reference}/")
    assert response.status == 404

    sam_context.close()
    kiran_context.close()
    assert page.failed_requests == []  # none of Alice's pages failed a request
