"""System checks: the CAPTCHA's test mode never runs in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def captcha_test_mode_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if (
        settings.CAPTCHA_TEST_MODE
        and not settings.DEBUG
        and not getattr(settings, "TESTING", False)
    ):
        return [
            Error(
                "CAPTCHA_TEST_MODE is on while DEBUG is off: every CAPTCHA would accept 'PASSED'.",
                hint="Unset CAPTCHA_TEST_MODE in production; it is for development and tests only.",
                id="accounts.E001",
            )
        ]
    return []
