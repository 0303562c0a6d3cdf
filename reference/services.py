"""Writes to reference data that need a record of who changed what."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .gst import gstin_problem
from .models import AgencyTaxProfile, AgencyTaxProfileChange, IssuingAgency

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
