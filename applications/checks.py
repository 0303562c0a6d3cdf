"""System checks: the payment gateway is chosen explicitly, and the sandbox never takes the
place of a real one in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.db import DatabaseError

from .models import IssuingAgency
from .payments import gateway_agency_problems, gateway_problem


def _agency_codes() -> list[str]:
    try:
        # The portal's own signer of self-declarations takes no fee (reference.IssuingAgency).
        fee_takers = IssuingAgency.objects.filter(self_declaration=False)
        return list(fee_takers.order_by("code").values_list("code", flat=True))
    except DatabaseError:  # not migrated yet: no agency takes fees
        return []


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


@register()
def payment_accounts_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Each issuing agency collects into its own merchant account: every agency the gateway in
    use has no account for is named (its exporters could not pay a fee)."""
    return [
        Error(
            problem,
            hint="Each agency's keys come from its merchant dashboard (docs/payments.md).",
            id="applications.E002",
        )
        for problem in gateway_agency_problems(settings.PAYMENT_GATEWAY, _agency_codes())
    ]
