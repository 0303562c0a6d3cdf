"""Paise shown as rupees: {{ entry.amount_paise|signed_rupees }} -> "+200.00"."""

from __future__ import annotations

from django import template

from applications.tax import rupees as _rupees

register = template.Library()


@register.filter
def rupees(paise: int) -> str:
    return _rupees(int(paise))


@register.filter
def signed_rupees(paise: int) -> str:
    return ("+" if paise > 0 else "") + _rupees(int(paise))
