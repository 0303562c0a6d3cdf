"""Complete, submitted applications for the officer tests, built directly (states set by the
factory, not by the workflow: only tests may do that)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import (
    Application,
    ApplicationEvent,
    Document,
    DocumentKind,
    HSCode,
    Payment,
    Status,
    TransportMode,
)
from tests import factories as base

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# A 1x1 PNG.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class ApplicationFactory(base.ApplicationFactory):
    """A complete application as submitted (parties, transport, declaration filled in)."""

    status = Status.SUBMITTED
    destination_country = "DE"
    consignee_name = "Hamburg Textil GmbH"
    consignee_address = "Speicherstadt 1, 20457 Hamburg"
    consignee_country = "DE"
    transport_mode = TransportMode.SEA
    vessel_or_flight = "MSC ANNA"
    port_of_loading = "Nhava Sheva"
    port_of_discharge = "Hamburg"
    departure_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=5))
    declaration_name = "A. Sharma"
    declaration_designation = "Director"
    declaration_place = "Mumbai"
    declaration_date = factory.LazyFunction(timezone.localdate)
    declaration_accepted = True
    submitted_at = factory.LazyFunction(timezone.now)
    first_submitted_at = factory.SelfAttribute("submitted_at")


class InvoiceFactory(base.InvoiceFactory):
    application = factory.SubFactory(ApplicationFactory)
    number = factory.Sequence(lambda n: f"INV/26/{n:04d}")
    date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3))


class LineItemFactory(base.LineItemFactory):
    application = factory.SubFactory(ApplicationFactory)
    marks_and_numbers = "HTG/1-10"
    description = "Cotton knitted T-shirts"
    quantity = Decimal("1200")
    unit = "pieces"
    gross_weight_kg = Decimal("125.5")
    fob_value = Decimal("4800.00")


def document_for(
    application: Application, kind: str = DocumentKind.COMMERCIAL_INVOICE, *, png: bool = False
) -> Document:
    content = PNG_BYTES if png else PDF_BYTES + str(kind).encode()
    sha = hashlib.sha256(content).hexdigest()  # the file's own hash: checked on every read
    document = Document(
        application=application,
        kind=kind,
        original_name=f"{kind}.{'png' if png else 'pdf'}",
        content_type="image/png" if png else "application/pdf",
        size=len(content),
        sha256=sha,
        uploaded_by=application.exporter,
    )
    document.file.save(sha, ContentFile(content), save=False)
    document.save()
    return document


def hs_codes() -> None:
    HSCode.objects.get_or_create(
        code="610910",
        defaults={"description": "T-shirts, singlets and other vests, of cotton", "level": 6},
    )
    HSCode.objects.get_or_create(
        code="851762",
        defaults={
            "description": "Machines for the reception, conversion and transmission",
            "level": 6,
        },
    )


def submitted_application(
    *,
    items: int = 1,
    documents: int = 2,
    events: int = 1,
    paid: bool = True,
    **kwargs: Any,
) -> Application:
    """A complete application as the exporter submitted it: invoice, goods, the two required
    documents, the signed declaration, a captured payment and its submission event."""
    hs_codes()
    application = ApplicationFactory(**kwargs)
    InvoiceFactory(application=application)
    for position in range(1, items + 1):
        LineItemFactory(application=application, position=position)
    kinds = [DocumentKind.COMMERCIAL_INVOICE, DocumentKind.PACKING_LIST]
    for n in range(documents):
        document_for(application, kinds[n] if n < len(kinds) else DocumentKind.OTHER)
    base.declaration_sign(application)  # as the signatory signed it before submitting
    if paid:
        Payment.objects.create(
            application=application,
            order_id=f"ORD-{application.reference}",
            amount=Decimal("200.00"),
            state=Payment.State.CAPTURED,
            gateway="test",
            captured_at=timezone.now(),
        )
    for _ in range(events):
        ApplicationEvent.objects.create(
            application=application,
            from_status=Status.DRAFT,
            to_status=Status.SUBMITTED,
            actor=application.exporter,
        )
    return application
