"""The accessibility audit (issue 14, acceptance 2): axe-core, injected by Playwright into every
page the journeys visit, at 1280 and 360 px; any violation of impact serious or critical fails
the test, all of them listed. One browser, one session per persona, pages in sequence."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client

from accounts import members
from accounts.admin_scope import AGENCY_ADMIN_PERMISSIONS
from applications.models import DocumentKind, Payment, Status
from certificates import keys
from certificates.models import Certificate
from review.services import application_approve
from tests import factories
from tests.accounts.agent_factories import kiran_logistics
from tests.certificates.factories import application_under_review
from tests.clients import otp_device, verified_client
from tests.factories import DEFAULT_PASSWORD
from tests.officer.factories import document_for, submitted_application

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
AXE_SHA256 = "880970c081707360e64f34cea25ff91892f5bc95675b0776925b9709dd8a68bb"
WIDTHS = (1280, 360)
BLOCKING = {"serious", "critical"}
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                     "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


# The page's main form (its first POST form with a field to type or choose in: a settings form
# of one checkbox above it is passed over) with its fields emptied, submitted by its first button
# (the browser's own validation off, as for a user agent without it): the page comes back in its
# error state.
SUBMIT_EMPTY = """() => {
  const form = [...document.querySelectorAll("main form[method=post]")].find(f =>
    f.querySelector("textarea, select, input:not([type=hidden]):not([type=submit])" +
                    ":not([type=checkbox]):not([type=radio])"));
  form.noValidate = true;
  form.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=checkbox]):not([type=radio]), " +
    "textarea, select").forEach(e => { e.value = ""; });
  form.querySelectorAll("input[type=checkbox], input[type=radio]").forEach(e => {
    e.checked = false; });
  form.requestSubmit(form.querySelector("button[type=submit], button:not([type]), " +
                                        "input[type=submit]"));
}"""


def session_cookie(live_server, client: Client) -> dict[str, str]:
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


class Audit:
    def __init__(self, browser, live_server, screenshot, language: str = "en-in") -> None:
        self.browser, self.live_server, self.screenshot = browser, live_server, screenshot
        self.language = language  # the header switcher's cookie (issue 33)
        self.script = AXE.read_text()
        self.found: list[str] = []
        self.pages = 0

    def persona(self, name: str, paths: list[str], client: Client | None = None) -> None:
        """One browser context (one session) for the persona; every page at every width.

        paths: URLs answering 200, "404 <url>" for an answer that is a page of its own, or
        "empty <url>" for the page's form submitted with every field emptied (its error
        state, which must show the error summary)."""
        context = self.browser.new_context(
            base_url=self.live_server.url, viewport={"width": WIDTHS[0], "height": 900}
        )
        try:
            if client is not None:
                context.add_cookies([session_cookie(self.live_server, client)])
            context.add_cookies(
                [
                    {
                        "name": settings.LANGUAGE_COOKIE_NAME,
                        "value": self.language,
                        "url": self.live_server.url,
                    }
                ]
            )
            # An init script, not a <script> tag: the portal's CSP refuses inline scripts.
            context.add_init_script(self.script)
            page = context.new_page()
            for entry in paths:
                status, _, path = entry.rpartition(" ")
                response = page.goto(path)
                assert response is not None
                if status == "empty":
                    with page.expect_navigation() as submitted:
                        page.evaluate(SUBMIT_EMPTY)
                    response = submitted.value
                    assert response is not None
                    assert page.locator(".error-summary").count() == 1, f"{name} {path}: no errors"
                    status, path = "", f"{path}#empty"
                assert response.status in ((int(status),) if status else (200, 422)), (
                    f"{name} {path}: {response.status}"
                )
                if not path.startswith("/admin/"):
                    lang = page.evaluate("document.documentElement.lang")
                    assert lang == ("hi" if self.language == "hi" else "en"), f"{name} {path}"
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    self.pages += 1
                    for v in page.evaluate(RUN_AXE):
                        if v["impact"] in BLOCKING:
                            self.found.append(
                                f"{name} {path} @{width}px [{v['impact']}] {v['id']}: "
                                f"{v['help']} at {v['targets']}"
                            )
                slug = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                self.screenshot(page, f"{name}-{self.language}-{slug}-{width}")
        finally:
            context.close()


@pytest.fixture
def signing(settings, tmp_path):
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    yield
    keys.clear_caches()


# Every page in English and in Hindi (issue 33): Devanagari text is longer and wraps otherwise.
@pytest.mark.parametrize("language", ["en-in", "hi"])
def test_no_page_of_the_journeys_has_a_serious_or_critical_violation(
    language,
    browser_instance,
    live_server,
    screenshot,
    signing,
    alice,
    olivia,
    ada,
    eic_mumbai,
):
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256, "axe.min.js changed"
    started = time.monotonic()
    draft = submitted_application(
        exporter=alice, office=eic_mumbai, status=Status.DRAFT, documents=3
    )
    item = draft.items.first()
    submitted = submitted_application(exporter=alice, office=eic_mumbai)
    document_for(submitted, DocumentKind.BILL_OF_LADING, png=True)
    reviewed = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    # pyHanko's signing calls asyncio.run(), refused in this thread (Playwright's loop).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(application_approve, application_id=reviewed.pk, officer=olivia).result()
    issued = Certificate.objects.get(application=reviewed)
    ref, done = draft.reference, submitted.reference
    order_id = Payment.objects.create(
        application=draft, order_id="ORD-AXE-AUDIT", amount=500, gateway="sandbox"
    ).order_id
    number, code = issued.number, issued.verification_code

    audit = Audit(browser_instance, live_server, screenshot, language)
    audit.persona(
        "visitor",
        [
            "/",
            "/accounts/register/",
            "empty /accounts/register/",
            "/accounts/agents/register/",
            "empty /accounts/agents/register/",
            "/accounts/login/",
            "empty /accounts/login/",
            "/accounts/password-reset/",
            "/accounts/officer/login/",
            "/verify/",
            f"/verify/{number}/?code={code}",
            f"404 /verify/{number}/?code=WRONG1234",
            "/verify/document/",
        ],
    )
    # The officer's code step: the password step done, the session waits for the TOTP code.
    otp_device(olivia)
    code_step = Client()
    password_done = code_step.post(
        "/accounts/officer/login/",
        {
            "username": olivia.username,
            "password": DEFAULT_PASSWORD,
            "captcha_0": "x",
            "captcha_1": "PASSED",
        },
    )
    assert password_done["Location"].startswith("/accounts/officer/verify/")
    audit.persona(
        "officer-code",
        ["/accounts/officer/verify/", "empty /accounts/officer/verify/"],
        code_step,
    )
    firm = alice.exporter_profile.iec_record
    preparer = factories.FirmMemberFactory(firm=firm, role="preparer", user__first_name="Priya")
    invited = members.member_invite(
        actor=alice, firm_id=firm.pk, email="sam@alice.example", name="Sam Iyer", role="signatory"
    )
    invitee = Client()
    assert invitee.get(urlsplit(invited.link).path).status_code == 302  # the link opened
    audit.persona(
        "invitee", ["/accounts/invitation/details/", "empty /accounts/invitation/details/"], invitee
    )
    exporter = Client()
    exporter.force_login(alice)
    audit.persona(
        "exporter",
        [
            "/applications/",
            "/applications/new/",
            f"/applications/{ref}/tasks/",
            f"/applications/{ref}/parties/",
            f"empty /applications/{ref}/parties/",
            f"/applications/{ref}/transport/",
            f"/applications/{ref}/invoices/",
            f"/applications/{ref}/goods/",
            f"/applications/{ref}/goods/add/",
            f"/applications/{ref}/goods/{item.pk}/",
            f"/applications/{ref}/goods/upload/",
            f"/applications/{ref}/documents/",
            f"/applications/{ref}/declaration/",
            f"/applications/{ref}/check/",
            f"/applications/{done}/receipt/",
            f"/applications/payments/sandbox/{order_id}/",
            f"/applications/{done}/confirmation/",
            f"/applications/{done}/",
            f"/applications/{issued.application.reference}/",
            "/accounts/profile/",
            "/accounts/firm/agents/",
            "empty /accounts/firm/agents/",
            "/accounts/people/",
            "/accounts/people/invite/",
            "empty /accounts/people/invite/",
            f"/accounts/people/{preparer.pk}/role/",
            f"/accounts/people/{preparer.pk}/remove/",
        ],
        exporter,
    )
    # Kiran, an agent's staff filing for Alice's firm: the "Filing for" bar on every page.
    kiran = Client()
    kiran.force_login(kiran_logistics(alice.exporter_profile.iec_record, alice).user)
    audit.persona(
        "agent",
        ["/accounts/acting-for/", "/applications/", f"/applications/{done}/", "/accounts/profile/"],
        kiran,
    )
    audit.persona(
        "officer",
        [
            "/officer/",
            "/officer/?tab=decided",
            "/officer/dashboard/",
            f"/officer/applications/{done}/",
        ],
        verified_client(olivia),
    )
    ada.user_permissions.set(Permission.objects.filter(codename__in=AGENCY_ADMIN_PERMISSIONS))
    audit.persona(
        "agency-admin",
        [
            "/admin/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{olivia.pk}/change/",
            "/admin/certificates/certificate/",
            f"/certificates/revoke/{number}",
        ],
        verified_client(ada),
    )
    seconds = time.monotonic() - started
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"axe-audit-{language}.txt").write_text(
        f"axe audit ({language}): {audit.pages} page views in {seconds:.1f} s\n"
    )
    assert not audit.found, "\n".join(audit.found)
