"""Writes to the reference data that an operator makes by command (add_agency)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction

from .models import AgencyOffice, IssuingAgency, TradeAgreement

# 2 digits of state, 10 of PAN, entity number, "Z", check character.
GSTIN = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")


class ReferenceDataError(Exception):
    """A reference-data write refused, with the reason to show."""


@dataclass(frozen=True)
class OfficeSpec:
    code: str
    name: str
    city: str


@transaction.atomic
def agency_add(
    *,
    code: str,
    name: str,
    offices: list[OfficeSpec],
    agreements: list[str],
    gstin: str = "",
    issues_non_preferential: bool = True,
) -> IssuingAgency:
    """Create an issuing agency with its offices, the agreements it issues under, and its tax
    profile (the GSTIN its fee invoices carry). Adding offices to an existing agency is
    allowed; an existing office is left as it is. Nothing is written if anything is wrong."""
    code = code.upper()
    if not re.fullmatch(r"[A-Z0-9-]{2,20}", code):
        raise ReferenceDataError(f"An agency code is 2-20 letters, digits or '-', not {code!r}.")
    if gstin and not GSTIN.match(gstin):
        raise ReferenceDataError(f"{gstin} is not a GSTIN (15 characters, e.g. 27AAACE1234F1Z5).")
    known = dict(TradeAgreement.objects.filter(code__in=agreements).values_list("code", "pk"))
    unknown = sorted(set(agreements) - set(known))
    if unknown:
        raise ReferenceDataError(f"No trade agreement {', '.join(unknown)}.")
    agency, _ = IssuingAgency.objects.update_or_create(
        code=code,
        defaults={"name": name, "gstin": gstin, "issues_non_preferential": issues_non_preferential},
    )
    agency.agreements.add(*known.values())
    for office in offices:
        AgencyOffice.objects.get_or_create(
            agency=agency,
            code=office.code.upper(),
            defaults={"name": office.name, "city": office.city},
        )
    return agency
