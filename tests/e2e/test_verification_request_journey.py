"""A verification request in Chromium, under the live server (issue 32, acceptance 1 and 4):
an importing customs authority's verifier signs in (password, CAPTCHA in test mode, TOTP) and
files a request on a certificate with a document; the agency's administrator assigns it to an
officer; the exporter answers with evidence; the officer confirms origin with reasons; the
verifier sees the finding on its page and through the API with a token it made; a deadline
passed sends reminders; the certificate downloaded from the verification page and the API's
answer pass the offline transparency-log checker."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.management.commands.seed_demo import DEMO_PASSWORD, REGISTERED_IEC
from accounts.models import User
from certificates import keys
from certificates.models import Certificate
from certificates.services import verify_url_for
from reference.models import AgencyOffice
from review.services import application_approve
from tests.applications.conftest import tiny_pdf, tiny_png
from tests.browser import sign_in_exporter, watch_failures
from tests.certificates.factories import application_under_review
from tests.clients import otp_device
from verification import requests as service
from verification.models import VerificationRequest, VerifierMember, VerifierOrganisation
from verification.tasks import transparency_heads_publish

from .journey import totp_now

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
CAPTCHA = "Type the characters in the image"


@pytest.fixture
def portal(settings, tmp_path):
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    call_command("seed_reference", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = True  # init_signing_keys makes development keys only with DEBUG=1
    call_command("init_signing_keys", verbosity=0, stdout=io.StringIO())
    settings.DEBUG = False
    yield
    keys.clear_caches()


@pytest.fixture
def certificate(portal) -> Certificate:
    exporter = User.objects.get(username=REGISTERED_IEC)
    officer = User.objects.get(username="officer.mumbai")
    office = AgencyOffice.objects.get(agency__code="EIC", code="MUM")
    application = application_under_review(exporter=exporter, officer=officer, office=office)
    # pyHanko's signing calls asyncio.run(), refused in this thread (Playwright's loop).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(application_approve, application_id=application.pk, officer=officer).result()
        pool.submit(transparency_heads_publish).result()
    return Certificate.objects.get(application=application)


@pytest.fixture
def customs(portal) -> User:
    staff = User.objects.create_user("platform.ops", role="operator", is_staff=True)
    organisation = VerifierOrganisation.objects.create(
        name="Dubai Customs",
        kind="customs",
        country="AE",
        contact_email="origin.unit@customs.example.ae",
        confirmed_at=timezone.now(),
        confirmed_by=staff,
    )
    user = User.objects.create_user(
        "customs.dubai",
        password=DEMO_PASSWORD,
        role="verifier",
        first_name="Hamdan",
        email="hamdan@customs.example.ae",
    )
    VerifierMember.objects.create(user=user, organisation=organisation)
    otp_device(user)
    return user


def new_page(browser, live_server, width: int = 1280):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    page.failed_requests = watch_failures(page)
    return context, page


def sign_in_with_code(page, login_path: str, username: str) -> None:
    page.goto(login_path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label(CAPTCHA).fill("PASSED")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(totp_now(username))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url and "/verify/" not in url)


def both_widths(page, screenshot, name: str) -> None:
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_customs_files_the_agency_assigns_the_exporter_answers_the_agency_confirms(
    browser_instance, live_server, screenshot, tmp_path, certificate, customs
):
    letter = tmp_path / "request-letter.pdf"
    letter.write_bytes(tiny_pdf())
    cost_sheet = tmp_path / "cost-sheet.png"
    cost_sheet.write_bytes(tiny_png())
    contexts = []

    # 1. The customs verifier signs in at its own door and files a request from the answer.
    context, verifier = new_page(browser_instance, live_server)
    contexts.append(context)
    sign_in_with_code(verifier, "/accounts/verifier/login/", "customs.dubai")
    assert verifier.get_by_role("heading", name="Verification requests").is_visible()
    verifier.goto(
        verify_url_for(number=certificate.number, code=certificate.verification_code).replace(
            "http://testserver", ""
        )
    )
    verifier.get_by_role("link", name="ask the issuing agency to verify this certificate").click()
    verifier.get_by_label("Doubt that the origin criterion is met").check()
    verifier.get_by_label("What should the issuing agency verify?").fill(
        "Show the cost sheet supporting the regional value content of item 1."
    )
    verifier.get_by_label("Your reference (optional)").fill("DXB/RV/2026/77")
    verifier.get_by_label("Documents (optional)").set_input_files(str(letter))
    both_widths(verifier, screenshot, "1-request-form")
    verifier.get_by_role("button", name="File the request").click()
    verifier.wait_for_url("**/verifiers/requests/*/")
    request = VerificationRequest.objects.get()
    assert verifier.get_by_text(f"Request {request.reference} filed").is_visible()
    both_widths(verifier, screenshot, "2-request-filed")

    # 2. The agency's administrator assigns it to Olivia Rao.
    context, admin = new_page(browser_instance, live_server)
    contexts.append(context)
    sign_in_with_code(admin, "/accounts/officer/login/", "admin.eic")
    admin.get_by_role("link", name="Verification requests").first.click()
    both_widths(admin, screenshot, "3-agency-queue")
    admin.get_by_role("link", name=request.reference).click()
    admin.get_by_label("Officer").select_option(label="Olivia Rao")
    admin.get_by_role("button", name="Assign and ask the exporter for evidence").click()
    assert admin.get_by_text("the exporter is asked for evidence").is_visible()

    # 3. The exporter answers with evidence.
    context, exporter = new_page(browser_instance, live_server)
    contexts.append(context)
    sign_in_exporter(exporter, REGISTERED_IEC, DEMO_PASSWORD)
    exporter.goto("/verification-requests/")
    exporter.get_by_role("link", name=request.reference).click()
    exporter.get_by_label("Your answer").fill(
        "Regional value content 46% (40% required); the cost sheet is attached."
    )
    exporter.get_by_label("Evidence").set_input_files(str(cost_sheet))
    both_widths(exporter, screenshot, "4-exporter-answer")
    exporter.get_by_role("button", name="Send to the agency").click()
    assert exporter.get_by_text(f"Your answer to {request.reference} was sent").is_visible()

    # 4. Olivia, the assigned officer, confirms origin with reasons.
    context, officer = new_page(browser_instance, live_server)
    contexts.append(context)
    sign_in_with_code(officer, "/accounts/officer/login/", "officer.mumbai")
    officer.goto(f"/officer/verification-requests/{request.pk}/")
    assert officer.get_by_text("cost-sheet.png").is_visible()
    officer.get_by_label("Origin confirmed", exact=True).check()
    officer.get_by_label("Reasons, as the verifier will read them").fill(
        "The exporter's cost sheet shows a regional value content of 46%, above the 40% the "
        "rules of origin require; the materials' invoices agree."
    )
    both_widths(officer, screenshot, "5-officer-finding")
    officer.get_by_role("button", name="Send the finding").click()
    assert officer.get_by_text("was sent to the verifier").is_visible()

    # 5. The verifier sees the outcome on its page...
    verifier.reload()
    assert verifier.get_by_role("heading", name="Origin confirmed").is_visible()
    assert verifier.get_by_text("regional value content of 46%").is_visible()
    both_widths(verifier, screenshot, "6-verifier-outcome")
    # ... and through the API, with a token made on its page.
    verifier.goto("/verifiers/")
    verifier.get_by_role("button", name="Create a token").click()
    token = verifier.locator("[data-token]").inner_text().strip()
    answer = verifier.request.get(
        f"/api/v1/verification-requests/{request.pk}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status == 200
    assert answer.json()["finding"] == "confirmed"
    assert "46%" in answer.json()["finding_reasons"]
    assert any("origin.unit@customs.example.ae" in m.to for m in mail.outbox)

    # 6. A deadline passed sends reminders (the clock moved past it; the request is open).
    second = service.request_file(
        certificate_id=certificate.pk,
        user=customs,
        reasons=["authenticity"],
        questions="Was this certificate issued by you?",
    )
    mail.outbox.clear()
    sent = service.requests_remind(now=second.due_at + dt.timedelta(days=1))
    assert [r.request_id for r in sent] == [second.pk]
    admin_email = User.objects.get(username="admin.eic").email
    assert any(m.subject.startswith("Overdue") and admin_email in m.to for m in mail.outbox)

    # 7. The certificate downloaded from the verification page, and the API's answer with its
    # inclusion proof, pass the offline checker.
    code = certificate.verification_code
    with verifier.expect_download() as download:
        verifier.goto(f"/verify/{certificate.number}/?code={code}")
        verifier.get_by_role("link", name="Download the authentic PDF").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    api = verifier.request.get(f"/api/v1/certificates/{certificate.number}?code={code}").json()
    (tmp_path / "answer.json").write_text(json.dumps(api))
    (tmp_path / "jwks.json").write_text(
        json.dumps(verifier.request.get("/.well-known/jwks.json").json())
    )
    checked = subprocess.run(  # noqa: S603 - our own checker, fixed arguments
        [
            sys.executable,
            "-m",
            "verification.logcheck",
            "inclusion",
            str(tmp_path / "answer.json"),
            "--keys",
            str(tmp_path / "jwks.json"),
            "--pdf",
            str(pdf),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.endswith("OK\n")

    for pg_context in contexts:
        for pg in pg_context.pages:
            assert [r for r in pg.failed_requests if "favicon" not in r] == []
        pg_context.close()
