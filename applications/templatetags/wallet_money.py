"""Paise shown as rupees: {{ entry.amount_paise|signed_rupees }} -> "+200.00"."""

from __future__ import annotations

from decimal import Decimal

from django import template

from applications.tax import rupees as _rupees

register = template.Library()


@register.filter
def rupees(paise: int) -> str:
    return _rupees(int(paise))


@register.filter
def signed_rupees(paise: int) -> str:
    return ("+" if paise > 0 else "") + _rupees(int(paise))


@register.filter
def covers(balance_paise: int, amount: Decimal) -> bool:
    """Whether a balance in paise covers an amount in rupees."""
    return int(balance_paise) >= int(Decimal(amount) * 100)
