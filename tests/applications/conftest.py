"""Fixtures for the exporter's journey: reference data, signed-in clients, ready drafts."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.urls import reverse

from applications.models import Application, HSCode
from tests import factories
from tests.members_helpers import invite_and_join

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

HS_ROWS = [
    ("610910", "T-shirts, singlets and other vests; of cotton, knitted or crocheted"),
    ("620342", "Trousers, bib and brace overalls, breeches and shorts; men's or boys', of cotton"),
    ("030617", "Crustaceans; frozen, shrimps and prawns (excluding cold-water varieties)"),
    (
        "851762",
        "Communication apparatus; machines for the reception, conversion and "
        "transmission or regeneration of voice, images or other data",
    ),
]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def hs_codes(db) -> list[HSCode]:
    return [factories.HSCodeFactory(code=code, description=desc) for code, desc in HS_ROWS]


@pytest.fixture
def aifta(db):
    return factories.TradeAgreementFactory()


@pytest.fixture
def fees(aifta):
    return [
        factories.FeeFactory(certificate_type="non_preferential", amount=Decimal("200.00")),
        factories.FeeFactory(certificate_type="preferential", amount=Decimal("500.00")),
    ]


@pytest.fixture
def reference_data(eic_mumbai, fieo_delhi, aifta, fees, hs_codes):
    eic_mumbai.agency.agreements.add(aifta)
    return {"eic_mumbai": eic_mumbai, "fieo_delhi": fieo_delhi, "aifta": aifta}


@pytest.fixture
def alice_client(alice) -> Client:
    return signed_in(alice)


@pytest.fixture
def bob_client(bob) -> Client:
    return signed_in(bob)


@pytest.fixture
def draft(alice, reference_data) -> Application:
    """Alice's preferential AIFTA draft to Indonesia with EIC Mumbai, nothing filled in."""
    return factories.ApplicationFactory(
        exporter=alice,
        certificate_type="preferential",
        agreement=reference_data["aifta"],
        destination_country="ID",
        office=reference_data["eic_mumbai"],
    )


@pytest.fixture
def ready(alice, reference_data) -> Application:
    """Alice's AIFTA draft with every section complete, the documents uploaded and the
    declaration signed, fee unpaid."""
    return factories.ready_to_pay(alice, reference_data)


def tiny_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Commercial invoice INV/2026/0001")
    pdf.save()
    return buffer.getvalue()


def tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "PNG")
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(tiny_pdf())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload_document(
    client: Client,
    application: Application,
    data: bytes,
    name: str = "invoice.pdf",
    kind: str = "commercial_invoice",
    content_type: str = "application/pdf",
):
    """The documents page as a browser uses it: the upload, its content check (the task runs
    when the upload commits, eagerly here), and the page that tells the result. Returns the
    upload's redirect (302) when the file was accepted, else the page that refused it (422:
    at once, or once checked)."""
    url = reverse("applications:documents", args=[application.reference])
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            url, {"kind": kind, "file": SimpleUploadedFile(name, data, content_type=content_type)}
        )
    if response.status_code != 302:
        return response
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = client.get(response["Location"])
    return page if page.status_code == 422 else response


@pytest.fixture
def team(alice, reference_data, sms_outbox, django_capture_on_commit_callbacks):
    """Alice's firm with Priya (preparer) and Sam (signatory), both joined by invitation."""
    admin = signed_in(alice)
    people = {}
    for name, username, role, mobile in (
        ("Priya Nair", "priya", "preparer", "9820012345"),
        ("Sam Iyer", "sam", "signatory", "9820054321"),
    ):
        people[username] = invite_and_join(
            admin,
            name=name,
            email=f"{username}@alice.example",
            role=role,
            username=username,
            mobile=mobile,
            sms_outbox=sms_outbox,
            capture=django_capture_on_commit_callbacks,
        )
    return admin, people


@pytest.fixture
def priyas_draft(alice, team, reference_data) -> Application:
    """A draft Priya prepared: every section but the declaration, documents uploaded."""
    priya = team[1]["priya"]
    application = factories.ApplicationFactory(
        complete=True,
        exporter=priya,
        firm=alice.exporter_profile.iec_record,
        certificate_type="preferential",
        agreement=reference_data["aifta"],
        destination_country="ID",
        office=reference_data["eic_mumbai"],
        declaration_name="",
        declaration_designation="",
        declaration_place="",
        declaration_date=None,
        declaration_accepted=False,
    )
    factories.InvoiceFactory(application=application)
    factories.LineItemFactory(application=application, origin_criterion="WO")
    factories.DocumentFactory(application=application, kind="commercial_invoice")
    factories.DocumentFactory(application=application, kind="packing_list")
    return application
