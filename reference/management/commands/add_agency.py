"""python manage.py add_agency CODE "Name" --office MUM:"EIA Mumbai":Mumbai [--office ...]
    [--agreement AIFTA ...] [--gstin 27AAACE1234F1Z6] [--no-non-preferential]

Then give the agency its keys (docs/operations.md, Adding an agency): SIGNING_P12_<CODE>,
SIGNING_P12_PASSWORD_<CODE>_FILE, SIGNING_CRL_<CODE>, SIGNING_VC_KEY_<CODE> on every web node
and worker; `check --deploy` names any agency still without them."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reference.services import OfficeSpec, ReferenceDataError, agency_add


def _office(value: str) -> OfficeSpec:
    parts = value.split(":")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise CommandError(f"--office takes CODE:Name:City, not {value!r}")
    return OfficeSpec(*(p.strip() for p in parts))


class Command(BaseCommand):
    help = "Add an issuing agency with its offices, agreements and GSTIN (or add offices to one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code")
        parser.add_argument("name")
        parser.add_argument("--office", action="append", default=[], help="CODE:Name:City")
        parser.add_argument("--agreement", action="append", default=[], help="e.g. AIFTA")
        parser.add_argument("--gstin", default="", help="the GSTIN on its fee invoices")
        parser.add_argument("--no-non-preferential", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        offices = [_office(value) for value in options["office"]]
        if not offices:
            raise CommandError("Name at least one office: --office CODE:Name:City")
        try:
            agency = agency_add(
                code=options["code"],
                name=options["name"],
                offices=offices,
                agreements=options["agreement"],
                gstin=options["gstin"],
                issues_non_preferential=not options["no_non_preferential"],
            )
        except ReferenceDataError as exc:
            raise CommandError(str(exc)) from exc
        codes = ", ".join(agency.offices.values_list("code", flat=True))
        self.stdout.write(self.style.SUCCESS(f"Agency {agency.code}: offices {codes}."))
        # How certificates.pki.env_suffix spells a code in a variable name (EPC-1 -> EPC_1).
        suffix = re.sub(r"[^A-Z0-9]", "_", agency.code)
        self.stdout.write(
            f"Now set SIGNING_P12_{suffix}, SIGNING_P12_PASSWORD_{suffix}_FILE, "
            f"SIGNING_CRL_{suffix} and SIGNING_VC_KEY_{suffix} on every node and worker."
        )
