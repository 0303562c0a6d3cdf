"""The whole journey in a browser, as its people would walk it.

An exporter registers a fresh IEC (email link, SMS code), chooses a password, signs in with the
CAPTCHA, fills a preferential AIFTA application with documents, pays in the sandbox and submits;
an officer signs in with a TOTP code, reviews and approves; the exporter downloads the signed
PDF; a verifier follows the QR link and sees VALID; the agency administrator revokes; the
verifier sees REVOKED.

`run_journey` is a plain function so that it runs under pytest's live server (outboxes in
memory, Celery eager) and against a real gunicorn + Celery deployment (tests.e2e.prod_smoke,
outboxes on disk, CAPTCHA answers from the database). Everything that differs between the two
comes in as a callable.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import BrowserContext, Page, expect

LINK_RE = re.compile(r"https?://\S+/accounts/register/verify/[^/\s]+/[^/\s]+/")
CODE_RE = re.compile(r"\b(\d{6})\b")
ITEMS = [
    # description, HS code, origin criterion, percentage
    ("Cotton T-shirts, knitted", "61091000", "WO", ""),
    ("Men's cotton trousers", "62034200", "RVC+CTSH", "40"),
]


@dataclass(frozen=True)
class Exporter:
    iec: str
    email: str
    mobile: str  # the ten digits typed into the form
    password: str


@dataclass(frozen=True)
class Officer:
    username: str
    password: str
    totp: Callable[[], str]  # the code the officer's authenticator app shows now


@dataclass
class JourneyResult:
    reference: str = ""
    certificate_number: str = ""
    verify_url: str = ""
    pdf_path: Path | None = None
    qr_from: str = ""  # "pdf" (pdftoppm + zbarimg) or "register" (tools missing)
    steps: list[str] | None = None


def run_journey(
    page: Page,
    base_url: str,
    *,
    exporter: Exporter,
    officer: Officer,
    admin: Officer,
    read_email: Callable[[str], list[str]],
    read_sms: Callable[[str], list[str]],
    read_captcha: Callable[[Page], str],
    screenshot: Callable[[Page, str], object],
    check_pdf: Callable[[bytes], object],
    register_url: Callable[[str], str],
    work_dir: Path,
    office_label: str = "EIA Mumbai",
    wait_seconds: float = 60,
    log: Callable[[str], None] = lambda message: None,
) -> JourneyResult:
    """Walk the journey; raise (AssertionError or a Playwright error) at the first wrong step.

    read_email(address) / read_sms(mobile): the bodies sent so far, oldest first.
    read_captcha(page): the answer to the CAPTCHA on the page.
    check_pdf(data): certificates.validation.check_signed_pdf or an equivalent (needs `.ok`).
    register_url(number): the certificate's verification URL from the register, used when
    pdftoppm or zbarimg is missing and the QR code cannot be read from the PDF.
    """
    result = JourneyResult(steps=[])
    browser = page.context.browser
    assert browser is not None

    def step(name: str, pg: Page) -> None:
        screenshot(pg, name)
        result.steps.append(name)
        log(f"ok  {name}")

    def new_person() -> tuple[BrowserContext, Page]:
        context = browser.new_context(
            base_url=base_url, viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        return context, context.new_page()

    # -- 1. The exporter registers ---------------------------------------------------------
    page.goto("/accounts/register/")
    page.get_by_label("IEC Code").fill(exporter.iec)
    page.get_by_label("Email ID").fill(exporter.email)
    page.get_by_label("Mobile Number").fill(exporter.mobile)
    page.get_by_label("Type the characters in the image").fill(read_captcha(page))
    step("01-register", page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    body = _wait_for(
        lambda: next((b for b in reversed(read_email(exporter.email)) if LINK_RE.search(b)), None),
        wait_seconds,
        f"the registration email to {exporter.email}",
    )
    page.goto(_path_of(LINK_RE.search(body).group(0)))
    expect(page.get_by_role("heading", name="Enter the code from the SMS")).to_be_visible()
    sms = _wait_for(
        lambda: next((b for b in reversed(read_sms(exporter.mobile)) if CODE_RE.search(b)), None),
        wait_seconds,
        f"the SMS code to {exporter.mobile}",
    )
    page.get_by_label("Code from the SMS").fill(CODE_RE.search(sms).group(1))
    step("02-sms-code", page)
    page.get_by_role("button", name="Verify mobile number").click()

    expect(page.get_by_role("heading", name="Choose a password")).to_be_visible()
    page.get_by_label("New password").fill(exporter.password)
    page.get_by_label("Confirm the password").fill(exporter.password)
    page.get_by_role("button", name="Complete registration").click()
    expect(page.get_by_role("heading", name="Registration complete")).to_be_visible()
    step("03-registered", page)

    # -- 2. Signs in with the CAPTCHA -------------------------------------------------------
    page.goto("/accounts/login/")
    page.get_by_label("IEC Code").fill(exporter.iec)
    page.get_by_label("Password").fill(exporter.password)
    page.get_by_label("Type the characters in the image").fill(read_captcha(page))
    step("04-sign-in", page)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    # -- 3. Applies for a preferential AIFTA certificate ------------------------------------
    def signing_code() -> str:
        sms = _wait_for(
            lambda: next(
                (
                    b
                    for b in reversed(read_sms(exporter.mobile))
                    if "sign the declaration" in b and CODE_RE.search(b)
                ),
                None,
            ),
            wait_seconds,
            f"the declaration's SMS code to {exporter.mobile}",
        )
        return CODE_RE.search(sms).group(1)

    result.reference = apply_for_aifta(
        page, step, office_label=office_label, work_dir=work_dir, signing_code=signing_code
    )

    # -- 4. An officer signs in with TOTP, reviews and approves -----------------------------
    officer_context, officer_page = new_person()
    try:
        _officer_sign_in(officer_page, officer, read_captcha)
        step("11-officer-queue", officer_page)
        officer_page.get_by_label("Search", exact=True).fill(result.reference)
        officer_page.get_by_role("button", name="Apply filters").click()
        officer_page.get_by_role("link", name=result.reference).click()
        officer_page.get_by_role("button", name="Start review").click()
        expect(officer_page.get_by_text(f"You are reviewing {result.reference}.")).to_be_visible()
        step("12-officer-review", officer_page)
        officer_page.get_by_label("Remark (optional)").fill("Documents in order.")
        officer_page.get_by_role("button", name="Approve and issue certificate").click()
        expect(officer_page.get_by_text(f"{result.reference} is approved")).to_be_visible()
        step("13-officer-approved", officer_page)
    finally:
        officer_context.close()

    # -- 5. The exporter downloads the signed certificate -----------------------------------
    detail = f"/applications/{result.reference}/"
    download_link = page.get_by_role("link", name="Download the signed PDF")

    def certificate_ready() -> bool:
        page.goto(detail)
        return download_link.count() > 0

    _wait_for(certificate_ready, wait_seconds, "the certificate to be issued", every=1.0)
    heading = page.locator(".certificate-panel .banner-title").inner_text()
    match = re.search(r"Certificate (\S+)", heading)
    assert match, heading
    result.certificate_number = match.group(1)
    step("14-exporter-certificate", page)
    with page.expect_download() as download_info:
        download_link.click()
    pdf_path = work_dir / "certificate.pdf"
    download_info.value.save_as(pdf_path)
    result.pdf_path = pdf_path
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF"), data[:20]
    # pyHanko's validation calls asyncio.run(), which refuses to run in this thread, where
    # Playwright's sync API keeps its event loop: check the file in a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        check = pool.submit(check_pdf, data).result()
    assert check.ok, check

    # -- 6. A verifier scans the QR code ----------------------------------------------------
    qr = _qr_from_pdf(pdf_path, work_dir)
    if qr:
        result.qr_from = "pdf"
        result.verify_url = qr
    else:
        result.qr_from = "register"
        result.verify_url = register_url(result.certificate_number)
    parts = urlsplit(result.verify_url)
    assert parts.path.startswith("/verify/"), result.verify_url
    verify_path = f"{parts.path}?{parts.query}"
    verifier_context, verifier = new_person()
    try:
        verifier.goto(verify_path)
        expect(verifier.get_by_role("heading", name="VALID", exact=True)).to_be_visible()
        expect(verifier.get_by_text(result.certificate_number).first).to_be_visible()
        step("15-verifier-valid", verifier)

        # -- 7. The agency administrator revokes --------------------------------------------
        admin_context, admin_page = new_person()
        try:
            _officer_sign_in(admin_page, admin, read_captcha)
            admin_page.goto(f"/certificates/revoke/{result.certificate_number}")
            admin_page.get_by_label("Reason for revoking").fill(
                "Issued against an invoice the exporter has since cancelled."
            )
            step("16-admin-revoke", admin_page)
            admin_page.get_by_role(
                "button", name=f"Revoke certificate {result.certificate_number}"
            ).click()
            expect(
                admin_page.get_by_text(f"Certificate {result.certificate_number} has been revoked.")
            ).to_be_visible()
            step("17-admin-revoked", admin_page)
        finally:
            admin_context.close()

        # -- 8. The verifier looks again ----------------------------------------------------
        verifier.goto(verify_path)
        expect(verifier.get_by_role("heading", name="REVOKED", exact=True)).to_be_visible()
        expect(verifier.get_by_text("invoice the exporter has since cancelled")).to_be_visible()
        step("18-verifier-revoked", verifier)
    finally:
        verifier_context.close()
    return result


def totp_now(username: str) -> str:
    """The code an officer's authenticator app shows now (django_otp's own TOTP)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    assert device is not None, f"{username} has no confirmed authenticator device"
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(code).zfill(device.digits)


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------


def apply_for_aifta(
    page: Page,
    step: Callable[[str, Page], None],
    *,
    office_label: str,
    work_dir: Path,
    signing_code: Callable[[], str],
    items: Sequence[tuple[str, str, str, str]] = ITEMS,
    pay: str = "card",
    firm_label: str = "",
    tr: Callable[[str], str] = str,
) -> str:
    """An exporter (or an agent's staff), signed in, fills, pays for (`pay`: "card" through
    the sandbox gateway, or "wallet") and submits an AIFTA application to Indonesia with
    `items` (description, HS code, criterion, percentage); returns its reference. `tr` turns
    the English text of a label or button into the page's language (tests/i18n)."""
    # The portal's dates are India's (TIME_ZONE); no date may lie in its future.
    today = dt.datetime.now(ZoneInfo("Asia/Kolkata")).date()
    page.goto("/applications/new/")
    if firm_label:  # an agent's staff names the firm each time
        page.get_by_label(firm_label).check()
    with page.expect_response(lambda r: "/applications/new/?" in r.url):
        page.get_by_label(tr("Preferential"), exact=True).check()
    expect(page.locator(".htmx-settling, .htmx-swapping, .htmx-request")).to_have_count(0)
    _select_containing(page, tr("Trade agreement"), "AIFTA")
    # htmx narrows the destinations to the agreement's partners (ten, and "choose")
    expect(page.locator("#id_destination_country option")).to_have_count(11)
    page.get_by_label(tr("Destination (importing) country")).select_option("ID")
    _select_containing(page, tr("Issuing agency and office"), office_label)
    step("05-apply", page)
    page.get_by_role("button", name=tr("Start the application")).click()
    page.wait_for_url("**/tasks/")
    reference = page.url.rstrip("/").split("/")[-2]

    page.get_by_role("link", name=tr("Exporter and consignee")).click()
    page.get_by_label(tr("Consignee name")).fill("PT Nusantara Garments")
    page.get_by_label(tr("Consignee address")).fill("Jl. Sudirman 1\nJakarta 10220")
    page.get_by_label(tr("Consignee country")).select_option("ID")
    page.get_by_role("button", name=tr("Save and continue")).click()

    page.get_by_role("link", name=tr("Transport and route")).click()
    page.get_by_label(tr("Transport mode")).select_option("sea")
    page.get_by_label(tr("Vessel, flight or vehicle")).fill("MV Kota Ratu V.12")
    page.get_by_label(tr("Port of loading")).fill("Nhava Sheva")
    page.get_by_label(tr("Port of discharge")).fill("Tanjung Priok")
    page.get_by_label(tr("Departure date")).fill((today + dt.timedelta(days=10)).isoformat())
    page.get_by_role("button", name=tr("Save and continue")).click()

    page.get_by_role("link", name=tr("Invoices")).click()
    page.get_by_label(tr("Invoice number")).fill("EXP/2026/0042")
    page.get_by_label(tr("Invoice date")).fill((today - dt.timedelta(days=5)).isoformat())
    page.get_by_label(tr("Currency"), exact=True).fill("USD")
    page.get_by_role("button", name=tr("Add invoice")).click()
    page.get_by_role("link", name=tr("Done")).click()

    page.get_by_role("link", name=tr("Goods")).click()
    for description, hs_code, criterion, percentage in items:
        page.get_by_role("link", name=tr("Add an item")).click()
        page.get_by_label(tr("Description of goods")).fill(description)
        page.get_by_label(tr("HS code (8 digits)")).press_sequentially(hs_code, delay=20)
        page.wait_for_selector("#hs-description:has-text('HS 2022')")
        page.get_by_label(tr("Origin criterion")).select_option(criterion)
        if percentage:
            page.get_by_label(tr("Percentage")).fill(percentage)
        page.get_by_label(tr("Number of packages")).fill("10")
        page.get_by_label(tr("Kind of packages")).fill("cartons")
        page.get_by_label(tr("Quantity"), exact=True).fill("100")
        page.get_by_label(tr("Unit"), exact=True).fill("pcs")
        page.get_by_label(tr("Gross weight (kg)")).fill("55.5")
        page.get_by_label(tr("FOB value")).fill("1200")
        page.get_by_role("button", name=tr("Save item")).click()
        page.wait_for_url("**/goods/")
    step("06-goods", page)
    page.get_by_role("link", name=tr("Done")).click()

    page.get_by_role("link", name=tr("Supporting documents")).click()
    for kind, title in (("commercial_invoice", "Commercial invoice"), ("packing_list", "Packing")):
        path = work_dir / f"{kind}.pdf"
        path.write_bytes(tiny_pdf(f"{title} EXP/2026/0042"))
        page.get_by_label(tr("Type of document")).select_option(kind)
        page.get_by_label(tr("File"), exact=True).set_input_files(str(path))
        page.get_by_role("button", name=tr("Upload")).click()
        expect(page.get_by_text(path.name).first).to_be_visible()
    # Each file is checked off the web threads (a worker, where there is one); the page reloads
    # itself when the checks are done. The declaration signed before that would sign a set of
    # documents without them.
    expect(page.get_by_role("heading", name=tr("Being checked"))).to_have_count(0, timeout=60_000)
    step("07-documents", page)
    page.get_by_role("link", name=tr("Done")).click()

    page.get_by_role("link", name=tr("Exporter's declaration")).click()
    page.get_by_label(tr("Name of the signatory")).fill("Meera Pillai")
    page.get_by_label(tr("Designation")).fill("Director")
    page.get_by_label(tr("Place")).fill("Kochi")
    page.get_by_label(tr("Date"), exact=True).fill(today.isoformat())
    page.locator("#id_declaration_accepted").check()
    page.get_by_role("button", name=tr("Save and continue")).click()
    # The declaration is signed with a code sent to the signatory's mobile.
    page.get_by_role("button", name=tr("Send me a code")).click()
    expect(page.get_by_label(tr("Code from the SMS"))).to_be_visible()  # the code was sent
    page.get_by_label(tr("Code from the SMS")).fill(signing_code())
    page.get_by_role("button", name=tr("Sign the declaration")).click()
    page.wait_for_url("**/check/")
    step("08-check-answers", page)
    if pay == "wallet":
        page.get_by_role("button", name=tr("Use the fee wallet")).click()
        page.get_by_text(tr("The fee was paid from your wallet.")).wait_for()
    else:
        page.locator("form[action$='/pay/'] button").click()
        page.get_by_role("button", name=tr("Succeed")).click()
    page.wait_for_url("**/receipt/")
    step("09-paid", page)
    page.get_by_role("link", name=tr("Continue to submit")).click()
    page.get_by_role("button", name=tr("Submit application")).click()
    page.wait_for_url("**/confirmation/")
    expect(page.locator(".panel")).to_contain_text(reference)
    step("10-submitted", page)
    return reference


def _officer_sign_in(page: Page, officer: Officer, read_captcha: Callable[[Page], str]) -> None:
    page.goto("/accounts/officer/login/")
    page.get_by_label("Username").fill(officer.username)
    page.get_by_label("Password").fill(officer.password)
    page.get_by_label("Type the characters in the image").fill(read_captcha(page))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code from your authenticator app").fill(officer.totp())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(
        lambda url: "/accounts/officer/" not in url and "/accounts/officer/login" not in url
    )


def _select_containing(page: Page, label: str, text: str) -> None:
    """Choose the option of a select whose visible text contains `text`."""
    select = page.get_by_label(label)
    value = select.evaluate(
        "(el, text) => [...el.options].find(o => o.text.includes(text))?.value ?? null", text
    )
    assert value, f"no option containing {text!r} in {label!r}"
    select.select_option(value)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def tiny_pdf(text: str) -> bytes:
    """A small, valid one-page PDF (what an exporter's invoice looks like to the upload check)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 770, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _qr_from_pdf(pdf_path: Path, work_dir: Path) -> str:
    """The URL in the certificate's QR code, or "" when poppler or zbar is not installed."""
    pdftoppm, zbarimg = shutil.which("pdftoppm"), shutil.which("zbarimg")
    if not pdftoppm or not zbarimg:
        return ""
    image = work_dir / "certificate"
    # Fixed tools on a file we wrote ourselves.
    subprocess.run(  # noqa: S603
        [pdftoppm, "-r", "200", "-png", "-singlefile", str(pdf_path), str(image)], check=True
    )
    scanned = subprocess.run(  # noqa: S603
        [zbarimg, "--raw", "-q", f"{image}.png"], capture_output=True, text=True, check=False
    ).stdout
    urls = [line.strip() for line in scanned.splitlines() if "/verify/" in line]
    assert urls, f"no verification QR code found in {pdf_path}: {scanned!r}"
    return urls[0]


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _wait_for(probe: Callable[[], object], seconds: float, what: str, every: float = 0.25):
    """Poll until probe() returns something truthy; emails, SMS and certificates may come
    from a Celery worker a moment after the page answered."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {seconds:.0f} s for {what}; it never came.")
        time.sleep(every)
