"""Certificate data for the rendering and signing tests: Alice Exports ships to Singapore."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from certificates.pdf import (
    CertificateData,
    CertificateItem,
    Consignee,
    Declaration,
    Exporter,
    Transport,
)

VERIFY_URL = "http://testserver/verify/?number=EIC%2F2026%2FMUM%2F0000123&code=K7PX2M9QRT4W"


def item(position: int, **overrides: Any) -> CertificateItem:
    fields: dict[str, Any] = {
        "position": position,
        "marks": f"AE/SG/{position:03d}",
        "package_count": 10 * position,
        "package_kind": "cartons",
        "description": f"Cotton knitted T-shirts for men, style {position:03d}",
        "hs_code": f"6109{position:04d}",
        "criterion_display": "RVC 35% + CTSH",
        "quantity_text": f"{120 * position} pieces",
        "gross_weight_text": f"{12.5 * position:.3f} kg",
        "invoice_text": "AE/2026/0042 of 02 Mar 2026",
    }
    fields.update(overrides)
    return CertificateItem(**fields)


def certificate(item_count: int = 3, **overrides: Any) -> CertificateData:
    fields: dict[str, Any] = {
        "number": "EIC/2026/MUM/0000123",
        "verification_code": "K7PX2M9QRT4W",
        "verify_url": VERIFY_URL,
        "certificate_type": "preferential",
        "title": "Form AI",
        "agreement_name": "ASEAN-India Free Trade Area Preferential Tariff Certificate of Origin",
        "exporter": Exporter(
            name="Alice Exports",
            address="Plot 12, MIDC Industrial Area\nAndheri East, Mumbai 400093, Maharashtra",
            iec="0123456789",
        ),
        "consignee": Consignee(
            name="Lion City Apparel Pte Ltd",
            address="8 Marina View, #20-01\nAsia Square Tower 1",
            country="Singapore",
        ),
        "transport": Transport(
            mode="Sea",
            vessel="MV Maersk Kensington V.214E",
            port_of_loading="Nhava Sheva (JNPT)",
            port_of_discharge="Singapore",
            departure_date=date(2026, 3, 10),
        ),
        "destination_country": "Singapore",
        "items": [item(n) for n in range(1, item_count + 1)],
        "declaration": Declaration(
            name="Alice Fernandes",
            designation="Director",
            place="Mumbai",
            date=date(2026, 3, 4),
        ),
        "agency_name": "Export Inspection Council",
        "office_name": "EIA Mumbai",
        "office_city": "Mumbai",
        "officer_name": "Olivia Rao",
        "officer_designation": "Assistant Director",
        "issue_date": date(2026, 3, 5),
    }
    fields.update(overrides)
    return CertificateData(**fields)


def non_preferential(**overrides: Any) -> CertificateData:
    base = certificate(
        certificate_type="non_preferential",
        title="Certificate of Origin (Non-Preferential)",
        agreement_name="",
    )
    items = [dataclasses.replace(i, criterion_display="") for i in base.items]
    return dataclasses.replace(base, items=items, **overrides)
