"""System checks: production never signs with, nor trusts, development keys, and every
credential is signed with a configured key."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError

from applications.models import IssuingAgency

from . import keys, pki
from .credential_keys import CredentialKeyError, load_configured_key, retired_public_keys


def _agency_codes() -> list[str]:
    try:
        return list(IssuingAgency.objects.order_by("code").values_list("code", flat=True))
    except DatabaseError:  # not migrated yet: no agency can issue anything
        return []


@register()
def signing_keys_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """With DEBUG=0, every issuing agency needs its production key, and signatures a TSA."""
    if pki.development_keys_allowed():
        return []
    errors = []
    missing = [code for code in _agency_codes() if not keys.has_production_key(code)]
    if missing:
        names = ", ".join(f"SIGNING_P12_{pki.env_suffix(code)}" for code in missing)
        errors.append(
            Error(
                f"No production signing key for the issuing agencies {', '.join(missing)}: "
                "their certificates cannot be issued (development keys are never used with "
                "DEBUG=0).",
                hint=f"Install each agency's CA-issued PKCS#12 key and set {names} with its "
                "password (README, Production signing keys).",
                id="certificates.E001",
            )
        )
    if not settings.TSA_URL and not settings.TSA_DISABLED:
        errors.append(
            Error(
                "TSA_URL is not set: signatures would carry no trusted timestamp.",
                hint="Set TSA_URL to your RFC 3161 time-stamping authority (and TSA_USERNAME, "
                "TSA_PASSWORD if it asks); TSA_DISABLED=1 only on a staging system.",
                id="certificates.E002",
            )
        )
    return errors


@register()
def credential_keys_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    if not settings.SIGNING_VC_DEV_KEYS and not settings.SIGNING_VC_KEYS:
        errors.append(
            Error(
                "No credential key is configured and development keys are off (DEBUG=0): "
                "no certificate could be issued, since each carries a signed credential.",
                hint="Set SIGNING_VC_KEY_<AGENCY> to a PEM file of an ECDSA P-256 key for "
                "each issuing agency (openssl genpkey -algorithm EC "
                "-pkeyopt ec_paramgen_curve:P-256).",
                id="certificates.E010",
            )
        )
    for suffix in sorted(settings.SIGNING_VC_KEYS):
        try:
            load_configured_key(suffix)
        except CredentialKeyError as exc:
            errors.append(Error(str(exc), obj=f"SIGNING_VC_KEY_{suffix}", id="certificates.E011"))
    for suffix in sorted(settings.SIGNING_VC_RETIRED_KEYS):
        try:
            retired_public_keys(suffix)
        except CredentialKeyError as exc:
            errors.append(
                Error(str(exc), obj=f"SIGNING_VC_RETIRED_{suffix}", id="certificates.E012")
            )
    return errors


@register(deploy=True)
def credential_key_per_agency_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy`: every issuing agency in the database has its own credential key. Each
    agency's own: with one agency's key missing every issuance for it would retry, then fail.
    (A deploy check: it reads the agencies, and `migrate` must not stop on it.)"""
    if settings.SIGNING_VC_DEV_KEYS:
        return []
    missing = [
        code for code in _agency_codes() if pki.env_suffix(code) not in settings.SIGNING_VC_KEYS
    ]
    if not missing:
        return []
    names = ", ".join(f"SIGNING_VC_KEY_{pki.env_suffix(code)}" for code in missing)
    return [
        Error(
            f"No credential key for the issuing agencies {', '.join(missing)}: their "
            "certificates cannot be issued.",
            hint=f"Set {names} to a PEM file of each agency's ECDSA P-256 key "
            "(docs/operations.md, Adding an agency).",
            id="certificates.E013",
        )
    ]


@register()
def archive_timestamps_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The archive task (certificates/archive.py) must run, take some certificates each time,
    and look ahead far enough to renew a timestamp before its TSA's certificate ends."""
    errors = []
    for name, minimum in (
        ("ARCHIVE_TIMESTAMP_SECONDS", 60),
        ("ARCHIVE_TIMESTAMP_BATCH", 1),
        ("ARCHIVE_TIMESTAMP_HORIZON_DAYS", 7),
    ):
        value = getattr(settings, name)
        if value < minimum:
            errors.append(
                Error(
                    f"{name} is {value}; it must be at least {minimum}.",
                    hint="See docs/long-term-validation.md (archive timestamps).",
                    id="certificates.E020",
                )
            )
    return errors
