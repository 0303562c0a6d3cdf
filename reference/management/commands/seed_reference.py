"""Load the reference data: trade agreements, issuing agencies and offices, fees, HS 2022.

Idempotent: run it as often as you like. Agencies and offices are matched on their codes
(the same natural keys `seed_demo` uses), so either command may run first.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from reference.certificate_forms import form_for
from reference.models import (
    AgencyOffice,
    CertificateType,
    Fee,
    HSCode,
    IssuingAgency,
    TradeAgreement,
)
from reference.services import self_declaration_route_ensure

HS_CSV = Path(__file__).resolve().parents[2] / "data" / "hs2022" / "harmonized-system.csv"

ASEAN = ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"]

# code, name, form title, partner ISO codes; the origin criteria come from each agreement's
# form (reference/certificate_forms.py)
# Agreements whose certificate covers one import only (CEPA's operational certification
# procedures); the migration reference/0004 sets the same flag on existing databases.
SINGLE_IMPORT = frozenset({"IUAECEPA"})
AGREEMENTS: list[tuple[str, str, str, list[str]]] = [
    (
        "AIFTA",
        "ASEAN-India Free Trade Area",
        "Form AI",
        ASEAN,
    ),
    (
        "SAFTA",
        "Agreement on South Asian Free Trade Area",
        "SAFTA Certificate of Origin",
        ["AF", "BD", "BT", "MV", "NP", "PK", "LK"],
    ),
    (
        "APTA",
        "Asia-Pacific Trade Agreement",
        "APTA Certificate of Origin",
        ["BD", "CN", "KR", "LA", "MN", "LK"],
    ),
    (
        "ISFTA",
        "India-Sri Lanka Free Trade Agreement",
        "ISFTA Certificate of Origin",
        ["LK"],
    ),
    (
        "IJCEPA",
        "India-Japan CEPA",
        "India-Japan CEPA Certificate of Origin",
        ["JP"],
    ),
    (
        "IKCEPA",
        "India-Korea CEPA",
        "India-Korea CEPA Certificate of Origin",
        ["KR"],
    ),
    (
        "IMCECA",
        "India-Malaysia CECA",
        "India-Malaysia CECA Certificate of Origin",
        ["MY"],
    ),
    (
        "ISCECA",
        "India-Singapore CECA",
        "India-Singapore CECA Certificate of Origin",
        ["SG"],
    ),
    ("IUAECEPA", "India-UAE CEPA", "India-UAE CEPA Certificate of Origin", ["AE"]),
    (
        "IAECTA",
        "India-Australia ECTA",
        "India-Australia ECTA Certificate of Origin",
        ["AU"],
    ),
    (
        "IMCECPA",
        "India-Mauritius CECPA",
        "India-Mauritius CECPA Certificate of Origin",
        ["MU"],
    ),
    (
        "IETEPA",
        "India-EFTA TEPA",
        "India-EFTA TEPA Certificate of Origin",
        ["CH", "NO", "IS", "LI"],
    ),
]

# code, name, issues non-preferential, agreements ("*" = every agreement), offices
AGENCIES: list[tuple[str, str, bool, list[str], list[tuple[str, str, str]]]] = [
    (
        "EIC",
        "Export Inspection Council",
        True,
        ["*"],
        [
            ("MUM", "EIA Mumbai", "Mumbai"),
            ("KOL", "EIA Kolkata", "Kolkata"),
            ("KOC", "EIA Kochi", "Kochi"),
            ("DEL", "EIA Delhi", "New Delhi"),
            ("CHE", "EIA Chennai", "Chennai"),
        ],
    ),
    (
        "FIEO",
        "Federation of Indian Export Organisations",
        True,
        ["APTA", "SAFTA"],
        [("DEL", "FIEO Delhi", "New Delhi")],
    ),
    (
        "MPEDA",
        "Marine Products Export Development Authority",
        True,
        ["AIFTA"],
        [("KOC", "MPEDA Kochi", "Kochi")],
    ),
    ("TC", "Textiles Committee", True, ["SAFTA"], [("MUM", "Textiles Committee Mumbai", "Mumbai")]),
    (
        "FICCI",
        "Federation of Indian Chambers of Commerce and Industry",
        True,
        [],
        [("DEL", "FICCI Delhi", "New Delhi")],
    ),
]

FEES_FROM = dt.date(2024, 4, 1)
NON_PREFERENTIAL_FEE = Decimal("200.00")
PREFERENTIAL_FEE = Decimal("500.00")


class Command(BaseCommand):
    help = "Load trade agreements, issuing agencies and offices, fees and HS 2022 codes."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            agreements = self._agreements()
            self._agencies(agreements)
            self_declaration_route_ensure()
            self._fees()
        loaded = self._hs_codes()
        self.stdout.write(
            f"Reference data: {len(agreements)} agreements, {IssuingAgency.objects.count()} "
            f"agencies, {AgencyOffice.objects.count()} offices, {Fee.objects.count()} fees, "
            f"{HSCode.objects.count()} HS codes ({loaded} new)."
        )

    def _agreements(self) -> dict[str, TradeAgreement]:
        result = {}
        for code, name, title, partners in AGREEMENTS:
            agreement, _ = TradeAgreement.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "form_title": title,
                    "partner_countries": partners,
                    "origin_criteria": list(form_for(code).criteria),
                    "is_active": True,
                    "single_import": code in SINGLE_IMPORT,
                },
            )
            result[code] = agreement
        return result

    def _agencies(self, agreements: dict[str, TradeAgreement]) -> None:
        for code, name, non_pref, allowed, offices in AGENCIES:
            agency, _ = IssuingAgency.objects.update_or_create(
                code=code, defaults={"name": name, "issues_non_preferential": non_pref}
            )
            agency.agreements.set(
                list(agreements.values()) if allowed == ["*"] else [agreements[a] for a in allowed]
            )
            for office_code, office_name, city in offices:
                AgencyOffice.objects.update_or_create(
                    agency=agency, code=office_code, defaults={"name": office_name, "city": city}
                )

    def _fees(self) -> None:
        for cert_type, amount in (
            (CertificateType.NON_PREFERENTIAL, NON_PREFERENTIAL_FEE),
            (CertificateType.PREFERENTIAL, PREFERENTIAL_FEE),
        ):
            Fee.objects.update_or_create(
                certificate_type=cert_type,
                agreement=None,
                valid_from=FEES_FROM,
                defaults={"amount": amount, "currency": "INR"},
            )

    def _hs_codes(self) -> int:
        existing = set(HSCode.objects.values_list("code", flat=True))
        rows = []
        with HS_CSV.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                code = row["hscode"].strip()
                if code in existing:
                    continue
                rows.append(
                    HSCode(
                        code=code,
                        description=row["description"].strip(),
                        parent="" if row["parent"] == "TOTAL" else row["parent"].strip(),
                        level=int(row["level"]),
                        section=row["section"].strip(),
                    )
                )
        HSCode.objects.bulk_create(rows, batch_size=2000)
        return len(rows)
