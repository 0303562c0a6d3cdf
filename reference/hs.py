"""HS 2022 lookups: is a code a real subheading, what is it called, what matches a prefix."""

from __future__ import annotations

import re

from reference.models import HSCode

SUBHEADING = 6


def hs_clean(value: str) -> str:
    """'8517.62.90' and '8517 62 90' both become '85176290'."""
    return re.sub(r"[\s.]", "", value or "")


def hs_subheading(code: str) -> HSCode | None:
    """The HS 2022 subheading named by the first six digits of `code`, or None."""
    six = hs_clean(code)[:SUBHEADING]
    if len(six) != SUBHEADING or not six.isdigit():
        return None
    return HSCode.objects.filter(code=six, level=SUBHEADING).first()


def hs_descriptions(codes: list[str]) -> dict[str, str]:
    """One query for many codes: {8-digit code: description of its subheading}."""
    sixes = {c[:SUBHEADING] for c in codes}
    found = dict(
        HSCode.objects.filter(code__in=sixes, level=SUBHEADING).values_list("code", "description")
    )
    return {c: found.get(c[:SUBHEADING], "") for c in codes}


def hs_suggest(query: str, *, limit: int = 12) -> list[HSCode]:
    """Subheadings whose code starts with the digits typed, or whose description has the words."""
    query = (query or "").strip()
    if not query:
        return []
    digits = hs_clean(query)
    qs = HSCode.objects.filter(level=SUBHEADING)
    if digits.isdigit():
        if len(digits) < 2:
            return []
        return list(qs.filter(code__startswith=digits[:SUBHEADING])[:limit])
    if len(query) < 3:
        return []
    for word in query.split()[:4]:
        qs = qs.filter(description__icontains=word)
    return list(qs[:limit])
