"""System checks: the payment gateway is chosen explicitly, and the sandbox never takes the
place of a real one in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .payments import gateway_problem


@register()
def payment_gateway_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    problem = gateway_problem(settings.PAYMENT_GATEWAY)
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint=(
                "Production needs an integration with a real payment provider (see README, "
                "'Payments'). A staging site may run the sandbox with "
                "PAYMENT_SANDBOX_ALLOWED_ON_STAGING=1; its pages then say payments are simulated."
            ),
            id="applications.E001",
        )
    ]
