"""Issued certificates for the verification tests, created directly (no workflow needed)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from applications.models import CertificateType
from certificates.models import Certificate
from tests import factories as base

# Stand-in content for certificates whose PDF is only downloaded, never signature-checked.
FAKE_PDF = b"%%PDF-1.7\n%% stand-in certificate %d\n%%%%EOF\n"


class ApplicationFactory(base.ApplicationFactory):
    """An issued AIFTA application to Singapore."""

    status = "issued"
    certificate_type = CertificateType.PREFERENTIAL
    agreement = factory.SubFactory(base.TradeAgreementFactory)
    destination_country = "SG"
    consignee_country = "SG"
    consignee_name = "Lion City Apparel Pte Ltd"


class LineItemFactory(base.LineItemFactory):
    application = factory.SubFactory(ApplicationFactory)
    marks_and_numbers = ""
    description = factory.Sequence(lambda n: f"Cotton knitted T-shirts, style {n:03d}")
    origin_criterion = "WO"
    quantity = Decimal("1200.000")
    unit = "pieces"
    gross_weight_kg = Decimal("125.500")
    fob_value = Decimal("4800.00")


class CertificateFactory(factory.django.DjangoModelFactory):
    """A certificate with a stand-in PDF; pass pdf_bytes= to store real bytes instead."""

    class Meta:
        model = Certificate
        exclude = ("pdf_bytes",)

    application = factory.SubFactory(ApplicationFactory)
    office = factory.SelfAttribute("application.office")
    year = 2026
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(
        lambda o: f"{o.office.agency.code}/{o.year}/{o.office.code}/{o.sequence:07d}"
    )
    verification_code = factory.Sequence(lambda n: f"K7PX2M9Q{n:04d}")
    pdf_bytes = factory.Sequence(lambda n: FAKE_PDF % n)
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.pdf_bytes).hexdigest())
    # Saved to storage (under certificates/<year>/<sha256>.pdf) when the row is created.
    pdf = factory.LazyAttribute(lambda o: ContentFile(o.pdf_bytes, name="certificate.pdf"))
    issued_at = factory.LazyFunction(timezone.now)
    signing_officer = factory.SubFactory(base.OfficerFactory)


def notification_extra(event: str, application: object) -> dict:
    """What applications.notifications.notify needs beside the application for `event`: the
    certificate (unsaved) when one was issued."""
    if event == "issued":
        return {"certificate": CertificateFactory.build(application=application)}
    return {}
