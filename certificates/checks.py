"""System checks: with DEBUG=0 every credential is signed with a configured key, or none is."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .credential_keys import CredentialKeyError, load_configured_key, retired_public_keys


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
