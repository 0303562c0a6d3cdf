"""System checks: production never signs with, nor trusts, development keys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError

from applications.models import IssuingAgency

from . import keys, pki


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
