"""System checks of the filing API's settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def webhook_addresses_check(**kwargs: Any) -> list[Error]:
    """Webhooks to private addresses would let a firm's endpoint reach the operator's own
    network (SSRF): allowed for the tests and development only."""
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS and not (settings.DEBUG or settings.TESTING):
        return [
            Error(
                "WEBHOOK_ALLOW_PRIVATE_URLS is on with DEBUG off.",
                hint="Unset WEBHOOK_ALLOW_PRIVATE_URLS in production.",
                id="api.E001",
            )
        ]
    return []
