"""Hostile text in every text field of the application: markup, SQL, over-long values and
invisible Unicode. Typed through the real forms, stored as typed, escaped on every page and
in every email, and printed on a certificate that still signs and verifies."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import escape

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from applications import workflow
from applications.models import Application, Invoice, LineItem
from certificates.models import Certificate
from certificates.services import certificate_issue
from review import services as review_services
from tests import factories
from tests.clients import exporter_client

from .conftest import persona_client

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SQL = "'; DROP TABLE applications_application; --"
BIDI = "Acme\u202eexe.txt\u200b Ltd"  # right-to-left override and a zero-width space
PAYLOADS = {"script": SCRIPT, "img": IMG, "sql": SQL, "bidi": BIDI}
RAW_MARKUP = ("<script>", "<img src=x")
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

# field -> (form URL name, max_length)
SECTION_FIELDS = {
    "consignee_name": ("applications:parties", 200),
    "consignee_address": ("applications:parties", 500),
    "third_party_name": ("applications:parties", 200),
    "third_party_address": ("applications:parties", 500),
    "vessel_or_flight": ("applications:transport", 100),
    "port_of_loading": ("applications:transport", 100),
    "port_of_discharge": ("applications:transport", 100),
    "declaration_name": ("applications:declaration", 200),
    "declaration_designation": ("applications:declaration", 100),
    "declaration_place": ("applications:declaration", 100),
}
INVOICE_FIELDS = {"number": 50}
ITEM_FIELDS = {"marks_and_numbers": 200, "description": 1000, "package_kind": 50, "unit": 20}


def fit(value: str, limit: int | None) -> str:
    return value if limit is None else value[:limit]


# ---------------------------------------------------------------------------------------------
# Filling in a draft through the real forms
# ---------------------------------------------------------------------------------------------


def section_data(section: str, value: str) -> dict[str, str]:
    today = timezone.localdate().isoformat()
    base = {
        "applications:parties": {
            "consignee_country": "AE",
            "third_party_invoicing": "on",
            "third_party_country": "SG",
        },
        "applications:transport": {"transport_mode": "sea", "departure_date": today},
        "applications:declaration": {"declaration_date": today, "declaration_accepted": "on"},
    }[section]
    fields = {f: fit(value, n) for f, (s, n) in SECTION_FIELDS.items() if s == section}
    return {**base, **fields}


def item_data(value: str, **overrides: str) -> dict[str, str]:
    data = {
        "package_count": "10",
        "hs_code": "61091000",
        "quantity": "500",
        "gross_weight_kg": "120.5",
        "fob_value": "2500.00",
        "fob_currency": "USD",
        **{f: fit(value, n) for f, n in ITEM_FIELDS.items()},
    }
    data.update(overrides)
    return data


def fill(client: Client, application: Application, value: str) -> None:
    ref = application.reference
    for section in ("applications:parties", "applications:transport", "applications:declaration"):
        response = client.post(reverse(section, args=[ref]), section_data(section, value))
        assert response.status_code == 302, (section, response.context["form"].errors)
    response = client.post(
        reverse("applications:invoices", args=[ref]),
        {"number": fit(value, 50), "date": timezone.localdate().isoformat(), "currency": "USD"},
    )
    assert response.status_code == 302, response.context["form"].errors
    response = client.post(reverse("applications:item-add", args=[ref]), item_data(value))
    assert response.status_code == 302, response.context["form"].errors
    # Remarks have no form of their own (the officer's and exporter's notes are events);
    # the field is set as a service would.
    Application.objects.filter(pk=application.pk).update(remarks=value)


@pytest.fixture
def hs_code(db):
    return factories.HSCodeFactory(code="610910")


@pytest.fixture(params=sorted(PAYLOADS))
def payload(request) -> str:
    return PAYLOADS[request.param]


@pytest.fixture
def hostile(alice, eic_mumbai, hs_code, payload) -> Application:
    """Alice's draft with the payload typed into every text field; Alice's firm name too."""
    alice.first_name = fit(payload, 150)
    alice.save(update_fields=["first_name"])
    application = factories.ApplicationFactory(
        exporter=alice, office=eic_mumbai, destination_country="AE"
    )
    fill(exporter_client(alice), application, payload)
    application.refresh_from_db()
    return application


def submit(application: Application) -> None:
    """What submission leaves behind (documents, payment); the state is set as a test may."""
    factories.DocumentFactory(application=application, kind="commercial_invoice")
    factories.DocumentFactory(application=application, kind="packing_list")
    factories.PaymentFactory(application=application)
    now = timezone.now()
    Application.objects.filter(pk=application.pk).update(
        status="submitted", submitted_at=now, first_submitted_at=now
    )


def assert_escaped(body: str, payload: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in body, f"raw {raw!r} in the page"
    if payload in (SCRIPT, IMG, SQL):
        assert escape(payload) in body, f"{escape(payload)!r} not in the page"
    else:
        assert payload in body


# ---------------------------------------------------------------------------------------------
# Stored as typed
# ---------------------------------------------------------------------------------------------


def test_every_text_field_stores_the_value_exactly_as_typed(hostile, payload):
    for field, (_section, limit) in SECTION_FIELDS.items():
        assert getattr(hostile, field) == fit(payload, limit), field
    assert hostile.remarks == payload
    assert Invoice.objects.get(application=hostile).number == fit(payload, 50)
    item = LineItem.objects.get(application=hostile)
    for field, limit in ITEM_FIELDS.items():
        assert getattr(item, field) == fit(payload, limit), field
    assert Application.objects.filter(pk=hostile.pk).exists()  # the table is still there


# ---------------------------------------------------------------------------------------------
# Escaped in every page
# ---------------------------------------------------------------------------------------------


def test_the_exporters_pages_show_the_values_escaped(hostile, payload, alice):
    client = exporter_client(alice)
    for name in ("applications:check", "applications:goods", "applications:invoices"):
        response = client.get(reverse(name, args=[hostile.reference]))
        assert response.status_code == 200, name
        assert_escaped(response.content.decode(), payload)
    tasks = client.get(reverse("applications:tasks", args=[hostile.reference])).content.decode()
    for raw in RAW_MARKUP:
        assert raw not in tasks
    submit(hostile)
    body = client.get(reverse("applications:detail", args=[hostile.reference])).content.decode()
    assert_escaped(body, payload)


def test_the_officers_review_page_shows_the_values_escaped(hostile, payload, olivia, users):
    submit(hostile)
    client = persona_client("olivia", users)
    response = client.get(reverse("officer:review", args=[hostile.reference]))
    assert response.status_code == 200
    assert_escaped(response.content.decode(), payload)
    queue = client.get(reverse("officer:queue")).content.decode()
    for raw in RAW_MARKUP:
        assert raw not in queue


# ---------------------------------------------------------------------------------------------
# Escaped in the emails
# ---------------------------------------------------------------------------------------------


def test_the_clarification_email_escapes_the_officers_message_and_the_firm_name(
    hostile, payload, olivia, users, django_capture_on_commit_callbacks
):
    submit(hostile)
    client = persona_client("olivia", users)
    client.post(reverse("officer:start-review", args=[hostile.reference]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("officer:clarify", args=[hostile.reference]), {"message": payload}
        )
    assert response.status_code == 302
    assert_email_safe(mail.outbox[-1], payload)


def test_the_rejection_email_escapes_the_officers_reason(
    hostile, payload, olivia, users, django_capture_on_commit_callbacks
):
    submit(hostile)
    client = persona_client("olivia", users)
    client.post(reverse("officer:start-review", args=[hostile.reference]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("officer:reject", args=[hostile.reference]), {"reason": payload})
    hostile.refresh_from_db()
    assert hostile.status == "rejected"
    assert_email_safe(mail.outbox[-1], payload)


def assert_email_safe(message, payload: str) -> None:
    """The HTML part is escaped; the plain-text part (which no client renders as markup)
    carries the text as typed, not double-escaped."""
    html = next(content for content, kind in message.alternatives if kind == "text/html")
    assert_escaped(html, payload)
    assert payload in message.body
    assert escape(payload) not in message.body or escape(payload) == payload


# ---------------------------------------------------------------------------------------------
# The certificate: rendered, signed, verified and shown escaped
# ---------------------------------------------------------------------------------------------


def issued(application: Application, olivia, capture) -> Certificate:
    submit(application)
    workflow.application_start_review(application_id=application.pk, officer=olivia)
    with capture(execute=False):  # the issuance task is run by hand below
        review_services.application_approve(application_id=application.pk, officer=olivia)
    return certificate_issue(application_id=application.pk)


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed (Debian: poppler-utils)")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(data)
    completed = subprocess.run(  # noqa: S603 - a fixed tool on a file this test wrote
        [shutil.which("pdftotext") or "pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return "".join(completed.stdout.split())


def test_the_certificate_prints_the_values_and_still_signs_and_verifies(
    hostile, payload, olivia, signing_keys, tmp_path, django_capture_on_commit_callbacks
):
    from verification.services import verification_check_document

    certificate = issued(hostile, olivia, django_capture_on_commit_callbacks)
    with certificate.pdf.open("rb") as stored:
        data = stored.read()

    assert verification_check_document(data=data, client_address="127.0.0.1").authentic
    text = pdf_text(data, tmp_path)
    printed = "".join(INVISIBLE.sub("", payload).split())
    assert printed in text
    assert not INVISIBLE.search(text)  # the renderer strips invisible characters on purpose


def test_the_verification_answer_shows_the_values_escaped(
    hostile, payload, olivia, signing_keys, django_capture_on_commit_callbacks
):
    certificate = issued(hostile, olivia, django_capture_on_commit_callbacks)
    url = reverse("verification:verify-certificate", kwargs={"number": certificate.number})
    response = Client().get(f"{url}?code={certificate.verification_code}")
    assert response.status_code == 200
    assert_escaped(response.content.decode(), payload)
    api = Client().get(
        reverse("verification:api-certificate", kwargs={"number": certificate.number}),
        {"code": certificate.verification_code},
    )
    assert api.json()["items"][0]["description"] == payload  # JSON carries the data as stored


# ---------------------------------------------------------------------------------------------
# Long values: at the limit accepted, over it a clear error, never a 500
# ---------------------------------------------------------------------------------------------

LIMITED = [(f, s, n) for f, (s, n) in SECTION_FIELDS.items() if n] + [
    (f, "applications:item-add", n) for f, n in ITEM_FIELDS.items() if n
]


@pytest.fixture
def draft(alice, eic_mumbai, hs_code) -> Application:
    return factories.ApplicationFactory(exporter=alice, office=eic_mumbai, destination_country="AE")


def post_long(client: Client, draft: Application, field: str, section: str, value: str):
    if section == "applications:item-add":
        data = item_data("Cotton T-shirts", **{field: value})
    else:
        data = {**section_data(section, "ok"), field: value}
    return client.post(reverse(section, args=[draft.reference]), data)


@pytest.mark.parametrize(("field", "section", "limit"), LIMITED)
def test_a_value_at_the_fields_limit_is_stored_whole(alice, draft, field, section, limit):
    value = ("अ" + "x" * limit)[:limit]  # a multi-byte letter: the limit counts characters
    response = post_long(exporter_client(alice), draft, field, section, value)
    assert response.status_code == 302, response.context["form"].errors
    if section == "applications:item-add":
        assert getattr(draft.items.get(), field) == value
    else:
        draft.refresh_from_db()
        assert getattr(draft, field) == value


@pytest.mark.parametrize(("field", "section", "limit"), LIMITED)
def test_a_value_over_the_fields_limit_is_a_form_error_next_to_the_field(
    alice, draft, field, section, limit
):
    response = post_long(exporter_client(alice), draft, field, section, "x" * (limit + 1))
    assert response.status_code == 200
    assert (
        f"must be {limit} characters or fewer (it has {limit + 1})."
        in (response.context["form"].errors[field][0])
    )
    assert f'id="id_{field}_error"' in response.content.decode()


def test_an_over_long_invoice_number_is_a_form_error(alice, draft):
    response = exporter_client(alice).post(
        reverse("applications:invoices", args=[draft.reference]),
        {"number": "9" * 51, "date": timezone.localdate().isoformat(), "currency": "USD"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["number"] == [
        "Invoice number must be 50 characters or fewer (it has 51)."
    ]
    assert not draft.invoices.exists()


def test_a_very_long_address_is_refused_at_the_form_with_its_limit(alice, draft):
    client = exporter_client(alice)
    address = "Warehouse 7, " * 2000
    data = {**section_data("applications:parties", "Consignee"), "consignee_address": address}
    response = client.post(reverse("applications:parties", args=[draft.reference]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["consignee_address"] == [
        f"Consignee address must be 500 characters or fewer (it has {len(address.strip())})."
    ]
    draft.refresh_from_db()
    assert draft.consignee_address == ""
