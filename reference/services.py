"""Writes to reference data: an agency added by an operator's command (add_agency), the route
for exporters' self-declarations, and the agencies' tax profiles, with a record of who changed
what."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from .gst import gstin_problem
from .models import (
    AgencyOffice,
    AgencyTaxProfile,
    AgencyTaxProfileChange,
    IssuingAgency,
    TradeAgreement,
)


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
    problem = gstin_problem(gstin) if gstin else None
    if problem:
        raise ReferenceDataError(problem)
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


# The agreements whose rules let the exporter declare origin without an agency (India-EFTA
# TEPA: the India-EFTA Rules, 2025 list a "self-declared certificate of origin" among the
# proofs of origin for exports from India).
SELF_DECLARATION_AGREEMENTS = ("IETEPA",)
SELF_DECLARATION_CODE = "PORTAL"
SELF_DECLARATION_OFFICE = "SD"


@transaction.atomic
def self_declaration_route_ensure() -> AgencyOffice:
    """The "office" an exporter chooses to declare origin themselves: a row of the agencies'
    table marked `self_declaration`, offered only under the agreements that allow it. Its
    applications reach no officer; its key is the portal's (certificates.keys, code PORTAL),
    its numbers its own gapless series (PORTAL/<year>/SD/0000001). Idempotent."""
    agency, _ = IssuingAgency.objects.update_or_create(
        code=SELF_DECLARATION_CODE,
        defaults={
            "name": "Self-declaration by the exporter (no agency certifies)",
            "issues_non_preferential": False,
            "self_declaration": True,
        },
    )
    agency.agreements.add(*TradeAgreement.objects.filter(code__in=SELF_DECLARATION_AGREEMENTS))
    office, _ = AgencyOffice.objects.get_or_create(
        agency=agency,
        code=SELF_DECLARATION_OFFICE,
        defaults={"name": "Recorded and signed by the COO Portal", "city": ""},
    )
    return office


PROFILE_FIELDS = (
    "legal_name",
    "address",
    "state_code",
    "gstin",
    "sac",
    "reverse_charge",
    "e_invoicing",
)


class TaxProfileError(ValueError):
    pass


@transaction.atomic
def agency_tax_profile_save(
    *, agency: IssuingAgency, actor: Any, values: dict[str, Any]
) -> AgencyTaxProfile:
    """Create or change the agency's tax profile, and record every field that changed (its
    value before and after) with who changed it. A GSTIN must pass its check character and
    belong to the profile's state."""
    profile = AgencyTaxProfile.objects.select_for_update().filter(agency=agency).first()
    if "gstin" in values:
        values = {**values, "gstin": str(values["gstin"]).strip().upper()}
    gstin = values.get("gstin", profile.gstin if profile else "")
    state = values.get("state_code", profile.state_code if profile else "")
    if gstin:
        problem = gstin_problem(gstin)
        if problem:
            raise TaxProfileError(problem)
        if gstin[:2] != state:
            raise TaxProfileError("The GSTIN's first two digits are not the profile's state.")
    before = {f: getattr(profile, f) for f in PROFILE_FIELDS} if profile else {}
    if profile is None:
        profile = AgencyTaxProfile(agency=agency)
    for name in PROFILE_FIELDS:
        if name in values:
            setattr(profile, name, values[name])
    profile.save()
    changes = {
        name: [before.get(name), getattr(profile, name)]
        for name in PROFILE_FIELDS
        if before.get(name) != getattr(profile, name)
    }
    if changes:
        AgencyTaxProfileChange.objects.create(profile=profile, changed_by=actor, changes=changes)
    return profile
