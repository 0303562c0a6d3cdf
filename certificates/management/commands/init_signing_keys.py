"""Create the development signing keys: a root CA and one key per issuing agency.

Idempotent: existing files are left alone, so it is safe to run on every start. Refused
without DEBUG=1: production keys come from the agencies' CAs (SIGNING_P12_<AGENCY>).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from applications.models import IssuingAgency
from certificates import keys, pki
from certificates.credential_keys import dev_key_path, ensure_credential_key


class Command(BaseCommand):
    help = (
        "Create, unless they exist, a development root CA and a signing key for each issuing "
        "agency under SIGNING_KEYS_DIR, with its credential key. DEBUG=1 only: production keys "
        "come from each agency's CA (see SIGNING_P12_<CODE>) and SIGNING_VC_KEY_<CODE>."
    )
    # The signing-key check fails in production by design; this command must still say why
    # it refuses instead of failing on that check first.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--agency",
            action="append",
            default=[],
            metavar="CODE",
            help="Also create a key for this agency code, in the database or not (repeatable).",
        )
        parser.add_argument(
            "--rsa", action="store_true", help="Create RSA-2048 keys instead of ECDSA P-256."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "init_signing_keys makes development keys and runs only with DEBUG=1. In "
                "production each agency installs a key issued by its CA: set "
                "SIGNING_P12_<AGENCY> and SIGNING_P12_PASSWORD_<AGENCY> (see the README)."
            )
        keys_dir = settings.SIGNING_KEYS_DIR
        if keys.ensure_development_ca():
            self.stdout.write(f"Created the development root CA in {pki.dev_ca_dir()}")
        agencies = dict(IssuingAgency.objects.values_list("code", "name"))
        for code in options["agency"]:
            agencies.setdefault(code, code)
        for code, name in sorted(agencies.items()):
            if keys.ensure_agency_key(code, name, rsa_key=options["rsa"]):
                self.stdout.write(f"Created the signing key {keys_dir / code}.p12 for {name}")
            else:
                self.stdout.write(f"Kept the existing signing key {keys_dir / code}.p12")
            # The credential key (Verifiable Credentials), apart from the PDF signing key.
            if ensure_credential_key(code):
                self.stdout.write(f"Created the credential key {dev_key_path(code)} for {name}")
