from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def quantity(value: Decimal | None) -> str:
    """1200.000 -> "1,200"; 450.500 -> "450.5": the quantity as a person would write it."""
    if value is None:
        return ""
    return f"{value:,.3f}".rstrip("0").rstrip(".")
