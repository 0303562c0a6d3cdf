"""The Hindi interface (issue 33, item 11): the switcher, remembered per person; the catalogue
complete and compiled; the pages exporters, agents and verifiers see left with no English."""

from __future__ import annotations

import gettext
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from reference.models import AgencyOffice
from tests.accounts.conftest import login_data
from tests.clients import verified_client
from tests.factories import DEFAULT_PASSWORD, ApplicationFactory, ExporterFactory, OfficerFactory

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "hi" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")
COOKIE = settings.LANGUAGE_COOKIE_NAME


def switch(client: Client, language: str, next_url: str = "/") -> None:
    response = client.post(reverse("set-language"), {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url


def lang_of(body: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', body)
    assert found is not None
    return found.group(1)


# ---------------------------------------------------------------------------------------------
# The switcher
# ---------------------------------------------------------------------------------------------


def test_a_signed_in_page_offers_the_other_language_as_a_post_with_csrf():
    client = Client()
    client.force_login(ExporterFactory())
    body = client.get(reverse("applications:list")).content.decode()
    assert lang_of(body) == "en"
    form = re.search(r'<form method="post" action="/language/".*?</form>', body, re.S)
    assert form is not None
    assert "csrfmiddlewaretoken" in form.group(0)
    assert 'name="language" value="hi"' in form.group(0)
    assert 'lang="hi">हिन्दी' in form.group(0)


def test_a_first_visitor_without_cookies_gets_a_link_to_the_language_page_and_no_cookie():
    """Their pages (kept verification answers among them) carry no token:
    the link leads to a page whose form is the POST with CSRF."""
    response = Client().get("/verify/")
    body = response.content.decode()
    assert "csrfmiddlewaretoken" not in body
    # The same link on every signed-out page (kept answers are the same bytes at any address):
    # the language page returns to the page the browser came from.
    link = re.search(r'<a href="(/language/)" lang="hi" hreflang="hi">हिन्दी', body)
    assert link is not None
    client = Client()
    page = client.get(link.group(1), HTTP_REFERER="http://testserver/verify/").content.decode()
    assert "csrfmiddlewaretoken" in page
    assert '<input type="hidden" name="next" value="http://testserver/verify/">' in page
    switch(client, "hi", "/verify/")
    assert lang_of(client.get("/verify/").content.decode()) == "hi"


def test_the_language_page_sends_no_one_off_site():
    page = Client().get("/language/?next=https://evil.example/").content.decode()
    assert '<input type="hidden" name="next" value="/">' in page


def test_the_switcher_refuses_a_post_without_its_csrf_token():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set-language"), {"language": "hi", "next": "/"})
    assert response.status_code == 403
    assert COOKIE not in response.cookies


def test_a_visitor_switches_to_hindi_and_the_cookie_keeps_it():
    client = Client()
    switch(client, "hi")
    assert client.cookies[COOKIE].value == "hi"
    body = client.get("/").content.decode()
    assert lang_of(body) == "hi"
    assert "उद्गम प्रमाणपत्र" in body
    assert '<a href="/language/" lang="en" hreflang="en">English' in body  # signed out: a link
    switch(client, "en-in")
    assert lang_of(client.get("/").content.decode()) == "en"


def test_the_switcher_does_not_redirect_off_site():
    client = Client()
    response = client.post(
        reverse("set-language"), {"language": "hi", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


def test_a_signed_in_persons_choice_is_kept_on_their_account_and_follows_them():
    user = ExporterFactory()
    laptop = Client()
    assert (
        laptop.post("/accounts/login/", login_data(user.username, DEFAULT_PASSWORD)).status_code
        == 302
    )
    switch(laptop, "hi", reverse("applications:list"))
    user.refresh_from_db()
    assert user.language == "hi"
    # Another device, whose browser never chose: Hindi as soon as they sign in.
    phone = Client()
    assert lang_of(phone.get("/").content.decode()) == "en"
    response = phone.post("/accounts/login/", login_data(user.username, DEFAULT_PASSWORD))
    assert response.status_code == 302
    assert phone.cookies[COOKIE].value == "hi"  # set at sign-in: stays after signing out
    assert lang_of(phone.get(reverse("applications:list")).content.decode()) == "hi"


def test_the_account_wins_over_a_browser_that_remembers_another_language():
    user = ExporterFactory()
    User.objects.filter(pk=user.pk).update(language="en-in")
    client = Client()
    client.cookies[COOKIE] = "hi"
    client.force_login(user)
    assert lang_of(client.get(reverse("applications:list")).content.decode()) == "en"


def test_a_choice_made_before_signing_in_moves_to_the_account_at_sign_in():
    user = ExporterFactory()
    client = Client()
    switch(client, "hi", "/accounts/login/")
    client.post("/accounts/login/", login_data(user.username, DEFAULT_PASSWORD))
    user.refresh_from_db()
    assert user.language == "hi"


def test_the_admin_stays_english_whatever_was_chosen():
    officer = OfficerFactory(is_staff=True, is_superuser=True)
    User.objects.filter(pk=officer.pk).update(language="hi")
    client = verified_client(officer)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert lang_of(response.content.decode()).startswith("en")
    # The chrome of the portal's own pages is theirs, in Hindi.
    assert lang_of(client.get(reverse("verification:verify")).content.decode()) == "hi"


def test_an_unknown_language_changes_nothing():
    user = ExporterFactory()
    client = Client()
    client.force_login(user)
    client.post(reverse("set-language"), {"language": "fr", "next": "/"})
    user.refresh_from_db()
    assert user.language == ""
    assert lang_of(client.get("/").content.decode()) == "en"


# ---------------------------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------------------------


def _po_entries(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (no plurals in ours), the header left out; a fuzzy
    entry is read as untranslated, as msgfmt reads it."""
    entries: dict[str, str] = {}
    for block in text.split("\n\n"):
        if block.lstrip().startswith("#~"):
            continue  # obsolete
        msgid = re.search(r'^msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)', block, re.M)
        msgstr = re.search(r'^msgstr ((?:"(?:[^"\\]|\\.)*"\n?)+)', block, re.M)
        if msgid is None or msgstr is None:
            continue
        key = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', msgid.group(1)))
        value = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', msgstr.group(1)))
        if key:
            fuzzy = "#, fuzzy" in block
            entries[key.encode().decode("unicode_escape").encode("latin-1").decode()] = (
                "" if fuzzy else value
            )
    return entries


def test_every_message_of_the_catalogue_is_translated():
    entries = _po_entries(CATALOGUE.read_text())
    assert len(entries) > 700
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert untranslated == []


def test_the_compiled_catalogue_is_the_committed_one():
    """The .mo in the repository is compiled from the .po as it stands (`make messages`)."""
    with COMPILED.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalog = {k: v for k, v in compiled._catalog.items() if k}  # type: ignore[attr-defined]
    source = {
        k: v.encode().decode("unicode_escape").encode("latin-1").decode()
        for k, v in _po_entries(CATALOGUE.read_text()).items()
    }
    assert catalog == source


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="needs gettext (apt-get install gettext; .ci/run does)"
)
def test_every_string_of_the_templates_and_code_is_in_the_catalogue(
    tmp_path, settings, monkeypatch
):
    """makemessages run afresh (as `make messages` runs it) into a copy of the catalogue:
    a template or message wrapped for translation but missing from the .po shows up as an
    untranslated entry. It runs in a directory of links to the sources beside the copy's
    `locale`: run from the checkout, makemessages writes the checkout's own catalogue (it adds
    the `locale` of its working directory), and the copy read here was never updated."""
    root = Path(settings.BASE_DIR)
    for entry in root.iterdir():
        if not entry.name.startswith(".") and entry.name != "locale":
            (tmp_path / entry.name).symlink_to(entry)
    copy = tmp_path / "locale" / "hi" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    copy.write_text(CATALOGUE.read_text())
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    from accounts.language import CATALOGUE_IGNORE

    before = CATALOGUE.read_bytes()
    call_command(
        "makemessages",
        locale=["hi"],
        ignore_patterns=list(CATALOGUE_IGNORE),
        no_location=True,
        symlinks=True,
        verbosity=0,
    )
    assert CATALOGUE.read_bytes() == before  # the checkout's catalogue is left alone
    missing = [msgid for msgid, msgstr in _po_entries(copy.read_text()).items() if not msgstr]
    assert missing == []


# ---------------------------------------------------------------------------------------------
# The pages in Hindi: no English left but names, codes and numbers
# ---------------------------------------------------------------------------------------------


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        # Scripts, and what is marked English on purpose (the switch back to English).
        country_list = tag == "select" and "country" in (dict(attrs).get("name") or "")
        if (
            country_list
            or tag in {"script", "style", "code"}
            or dict(attrs).get("lang", "").startswith("en")
        ):
            self._skipping.append(tag)
            self._skip += 1
        for name, value in attrs:
            if name in {"aria-label", "placeholder", "title", "alt"} and value:
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.chunks.append(data)


# Words that stay as they are in Hindi text: acronyms, names, codes, the English button.
ALLOWED = {
    "CAPTCHA",
    "WAV",
    "GET",
    "testserver",  # the host, which the verification page asks you to check
    "IEC",
    "COO",
    "DGFT",
    "GST",
    "GSTIN",
    "PAN",
    "HS",
    "FOB",
    "INR",
    "SMS",
    "PDF",
    "CSV",
    "API",
    "QR",
    "JSON",
    "English",
    "ID",
    "OTP",
    "URL",
    "UPI",
    "XLSX",
    "JPEG",
    "PNG",
    "MB",
}


def english_left(body: str, also_allowed: set[str]) -> list[str]:
    parser = _Text()
    parser.feed(body)
    # Whole words only: not a code, number, address or path ("EIC/2026/MUM/0000123").
    words = re.findall(r"(?<![\w/.:@-])[A-Za-z][A-Za-z']+(?![\w/.:@-])", " ".join(parser.chunks))
    return [w for w in words if w not in ALLOWED | also_allowed and len(w) > 2]


@pytest.fixture
def hindi_exporter():
    user = ExporterFactory()
    User.objects.filter(pk=user.pk).update(language="hi")
    client = Client()
    client.force_login(user)
    return user, client


def test_the_exporters_pages_in_hindi_leave_no_english(hindi_exporter):
    user, client = hindi_exporter
    application = ApplicationFactory(exporter=user)
    record = user.exporter_profile.iec_record
    data = {
        user.username,
        record.firm_name,
        record.email,
        application.reference,
        *re.findall(r"[A-Za-z]+", str(application.destination_country.name)),
        # The agencies' and offices' names offered on the new-application page.
        *re.findall(
            r"[A-Za-z]+", " ".join(f"{o} {o.agency.name}" for o in AgencyOffice.objects.all())
        ),
        *re.findall(r"[A-Za-z]+", " ".join(str(v) for v in vars(record).values())),
        *re.findall(r"[A-Za-z]+", f"{record.firm_name} {record.address} {user.get_full_name()}"),
        *re.findall(r"[A-Za-z]+", settings.SITE_NAME),
        *re.findall(r"[A-Za-z]+", settings.SUPPORT_EMAIL),
    }
    for url in (
        reverse("applications:list"),
        reverse("applications:new"),
        reverse("accounts:profile"),
        reverse("verification:verify"),
        "/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert lang_of(body) == "hi"
        assert english_left(body, data) == [], (url, english_left(body, data))


def test_the_public_pages_in_hindi_leave_no_english():
    client = Client()
    switch(client, "hi")
    allowed = {
        *re.findall(r"[A-Za-z]+", settings.SITE_NAME),
        *re.findall(r"[A-Za-z]+", settings.SUPPORT_EMAIL),
    }
    for url in ("/", "/accounts/login/", "/accounts/register/", reverse("verification:verify")):
        response = client.get(url)
        assert response.status_code == 200, url
        left = english_left(response.content.decode(), allowed)
        assert left == [], (url, left)


def test_emails_and_sms_are_english_whoever_sends_them():
    """A Hindi reader's request may send them (a role change, a status): rendered in English."""
    from django.utils import translation

    from accounts.models import FirmRole
    from accounts.notifications import email_send, sms_send
    from core.durable.models import OutboxMessage

    context = {
        "name": "Sam",
        "by": "Alice",
        "firm_name": "Alice Exports",
        "iec": "0123456789",
        "before": FirmRole.PREPARER.label,
        "role": FirmRole.SIGNATORY.label,
    }
    with translation.override("hi"):
        email_send(to="sam@example.com", template="member_role_changed", context=context)
        sms_send(to="+919800000000", template="member_role_changed", context=context)
    texts = " ".join(str(m.args) for m in OutboxMessage.objects.all())
    assert "from preparer to signatory" in texts
    assert not re.search("[\u0900-\u097f]", texts)
