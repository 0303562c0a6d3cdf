"""Rotate or revoke an agency's signing key, telling a routine rotation from a compromise.

For keys of the development CA, which the portal holds. A production key's CA is outside the
portal: revoke there, then install the CA's new CRL (SIGNING_CRL_<AGENCY>) and a new key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from certificates import keys, pki

REASONS = {
    "keyCompromise": x509.ReasonFlags.key_compromise,
    "superseded": x509.ReasonFlags.superseded,
    "cessationOfOperation": x509.ReasonFlags.cessation_of_operation,
}


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--invalid-since: not an ISO 8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise CommandError("--invalid-since needs a time zone, e.g. 2026-12-07T09:30:00+05:30.")
    return moment


class Command(BaseCommand):
    help = (
        "Stop using an agency's current signing key. --retire: a routine rotation, the key is "
        "set aside unrevoked and a new one made, so every certificate it signed stays valid in "
        "every tool. Otherwise the certificate goes on its CA's CRL (published at once at "
        "/pki/<AGENCY>.crl): --reason superseded or cessationOfOperation for a rotation "
        "(certificates timestamped before stay valid in AdES validation), keyCompromise "
        "(default) with --invalid-since, when the key is known or suspected to have been "
        "compromised: certificates timestamped after that are refused."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("agency", metavar="CODE", help="the issuing agency's code, e.g. EIC")
        parser.add_argument("--reason", choices=sorted(REASONS), default="keyCompromise")
        parser.add_argument(
            "--invalid-since",
            type=_moment,
            default=None,
            help="keyCompromise: since when the key is compromised (ISO 8601; default now)",
        )
        parser.add_argument(
            "--retire", action="store_true", help="rotate without revoking (a new key is made)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["agency"]
        suffix = pki.env_suffix(code)
        if keys.has_production_key(code):
            raise CommandError(
                f"{code}'s key was issued by a CA outside the portal: install a new key in "
                f"SIGNING_P12_{suffix} (a rotation needs no revocation), or revoke the old one "
                f"with that CA (superseded, or keyCompromise with its invalidity date), set "
                f"SIGNING_CRL_{suffix} to the CA's new CRL, and restart the web and worker "
                "processes."
            )
        if not pki.development_keys_allowed():
            raise CommandError(f"No signing key is configured for {code} (SIGNING_P12_{suffix}).")
        reason = options["reason"]
        if options["invalid_since"] is not None and reason != "keyCompromise":
            raise CommandError("--invalid-since applies to keyCompromise only.")
        try:
            if options["retire"]:
                retired = keys.retire_development_key(code)
                keys.clear_caches()
                self.stdout.write(
                    f"Retired {code}'s signing certificate {retired.serial_number:x} without "
                    "revoking it; a new key signs from now on."
                )
                return
            certificate = keys.signing_certificate(code)
            invalid_since = options["invalid_since"]
            if reason == "keyCompromise" and invalid_since is None:
                invalid_since = timezone.now()
            revoked = pki.dev_revoke(
                certificate, reason=REASONS[reason], invalid_since=invalid_since
            )
        except (keys.SigningKeyError, pki.PkiError) as exc:
            raise CommandError(str(exc)) from exc
        keys.clear_caches()
        serial = f"{certificate.serial_number:x}"
        if not revoked:
            self.stdout.write(f"{code}'s certificate {serial} was already revoked.")
            return
        since = f", invalid since {invalid_since:%Y-%m-%d %H:%M:%S %Z}" if invalid_since else ""
        self.stdout.write(
            f"Revoked {code}'s signing certificate {serial} ({reason}{since}); the new CRL "
            f"is published at {pki.crl_url(code)} and the portal no longer signs with it. "
            f"For a new key, remove {pki.keys_dir() / code}.p12 and run init_signing_keys."
        )
