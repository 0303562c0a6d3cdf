"""Revoke an agency's signing certificate (key compromise) and re-issue its CA's CRL.

For keys of the development CA, which the portal holds. A production key's CA is outside the
portal: revoke there, then install the CA's new CRL (SIGNING_CRL_<AGENCY>) and a new key.
"""

from __future__ import annotations

from typing import Any

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError, CommandParser

from certificates import keys, pki

REASONS = {
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
}


class Command(BaseCommand):
    help = (
        "Put an agency's current signing certificate on its CA's CRL (default reason "
        "keyCompromise) and publish the new CRL at /pki/<AGENCY>.crl at once. The portal then "
        "refuses to sign with that key; certificates signed before stay valid (timestamped)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency", metavar="CODE", help="the issuing agency's code, e.g. EIC")
        parser.add_argument("--reason", choices=sorted(REASONS), default="keyCompromise")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["agency"]
        suffix = pki.env_suffix(code)
        if keys.has_production_key(code):
            raise CommandError(
                f"{code}'s key was issued by a CA outside the portal: revoke it with that CA "
                f"(reason keyCompromise), set SIGNING_CRL_{suffix} to the CA's new CRL, install "
                f"a new key in SIGNING_P12_{suffix}, and restart the web and worker processes."
            )
        if not pki.development_keys_allowed():
            raise CommandError(f"No signing key is configured for {code} (SIGNING_P12_{suffix}).")
        try:
            certificate = keys.signing_certificate(code)
            revoked = pki.dev_revoke(certificate, reason=REASONS[options["reason"]])
        except (keys.SigningKeyError, pki.PkiError) as exc:
            raise CommandError(str(exc)) from exc
        keys.clear_caches()
        serial = f"{certificate.serial_number:x}"
        if not revoked:
            self.stdout.write(f"{code}'s certificate {serial} was already revoked.")
            return
        self.stdout.write(
            f"Revoked {code}'s signing certificate {serial} ({options['reason']}); the new CRL "
            f"is published at {pki.crl_url(code)} and the portal no longer signs with it. "
            f"For a new key, remove {pki.keys_dir() / code}.p12 and run init_signing_keys."
        )
