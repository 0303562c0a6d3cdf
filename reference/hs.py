"""HS 2022 lookups: is a code a real subheading, what is it called, what matches the digits or
the words typed."""

from __future__ import annotations

import math
import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import QuerySet

from reference.models import HSCode

SUBHEADING = 6
# The chapters of HS 2022: 01 to 97, 77 being reserved. The data file also carries 99
# ("Commodities not specified according to kind"), a statistical code that no goods have.
HS_CHAPTERS = frozenset(f"{n:02d}" for n in range(1, 98)) - {"77"}
# Words that say nothing about the goods, left out of a search by words.
STOP_WORDS = frozenset({"a", "an", "and", "for", "in", "of", "or", "the", "to", "with"})
MAX_WORDS = 5


def hs_chapter(code: str) -> str:
    return hs_clean(code)[:2]


def _subheadings() -> QuerySet[HSCode]:
    return HSCode.objects.filter(level=SUBHEADING, code__lt="98")


def hs_clean(value: str) -> str:
    """'8517.62.90' and '8517 62 90' both become '85176290'."""
    return re.sub(r"[\s.]", "", value or "")


def hs_subheading(code: str) -> HSCode | None:
    """The HS 2022 subheading named by the first six digits of `code`, or None."""
    six = hs_clean(code)[:SUBHEADING]
    if len(six) != SUBHEADING or not six.isdigit() or six[:2] not in HS_CHAPTERS:
        return None
    return _subheadings().filter(code=six).first()


def hs_descriptions(codes: list[str]) -> dict[str, str]:
    """One query for many codes: {8-digit code: description of its subheading}."""
    sixes = {c[:SUBHEADING] for c in codes}
    found = dict(
        HSCode.objects.filter(code__in=sixes, level=SUBHEADING).values_list("code", "description")
    )
    return {c: found.get(c[:SUBHEADING], "") for c in codes}


def hs_suggest(query: str, *, limit: int = 12) -> list[HSCode]:
    """Subheadings whose code starts with the digits typed, or whose description has the words
    typed: those with more of the words, and with rarer ones, first ("black pepper" finds
    pepper of the genus piper before black ink)."""
    query = (query or "").strip()
    if not query:
        return []
    digits = hs_clean(query)
    if digits.isdigit():
        if len(digits) < 2:
            return []
        return list(_subheadings().filter(code__startswith=digits[:SUBHEADING])[:limit])
    if len(query) < 3:
        return []
    words = [w for w in re.findall(r"[^\W_]+", query.lower()) if w not in STOP_WORDS]
    return _by_words(words[:MAX_WORDS], limit=limit)


def _by_words(words: list[str], *, limit: int) -> list[HSCode]:
    """One query per word; each code scores the inverse document frequency of the words its
    description has, so a word found in few descriptions counts for more."""
    if not words:
        return []
    total = _subheadings().count() or 1
    scores: dict[str, float] = {}
    descriptions: dict[str, str] = {}
    for word in dict.fromkeys(words):
        found = dict(_matching(word).values_list("code", "description"))
        if not found:
            continue
        weight = math.log(1 + total / len(found))
        for code, description in found.items():
            scores[code] = scores.get(code, 0.0) + weight
            descriptions[code] = description
    best = sorted(scores, key=lambda code: (-scores[code], code))[:limit]
    return [HSCode(code=code, description=descriptions[code], level=SUBHEADING) for code in best]


def _matching(word: str) -> QuerySet[HSCode]:
    """PostgreSQL: full-text search (English stemming: "peppers" finds "pepper"). Elsewhere: a
    word of the description that starts with the word typed, less a plural "s"."""
    if connection.vendor == "postgresql":
        vector = SearchVector("description", config="english")
        return (
            _subheadings()
            .annotate(search=vector)
            .filter(search=SearchQuery(word, config="english"))
        )
    stem = word[:-1] if len(word) > 3 and word.endswith("s") else word
    return _subheadings().filter(description__iregex=rf"\b{re.escape(stem)}")
