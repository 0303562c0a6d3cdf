"""Verification fixtures: Alice's certificate, issued by EIC Mumbai, three lines of goods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.verification.factories import CertificateFactory, LineItemFactory

ISSUED_AT = dt.datetime(2026, 3, 4, 11, 30, tzinfo=dt.UTC)


@pytest.fixture
def certificate(alice, eic_mumbai, olivia):
    cert = CertificateFactory(
        application__exporter=alice,
        application__office=eic_mumbai,
        sequence=123,
        verification_code="K7PX2M9QRT4W",
        issued_at=ISSUED_AT,
        signing_officer=olivia,
    )
    for position, (description, hs_code, quantity) in enumerate(
        [
            ("Cotton knitted T-shirts for men", "61091000", Decimal("1200")),
            ("Cotton trousers for women", "62046200", Decimal("450.5")),
            ("Silk scarves, hand-printed", "62141000", Decimal("75")),
        ],
        start=1,
    ):
        LineItemFactory(
            application=cert.application,
            position=position,
            description=description,
            hs_code=hs_code,
            quantity=quantity,
        )
    return cert


@pytest.fixture
def now():
    return timezone.now()
