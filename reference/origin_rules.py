"""The rules of origin an item's cost sheet is checked against, from one data file per
agreement (reference/data/origin_rules/<CODE>.json).

A file holds the agreement's general rule and its product-specific rules keyed by HS code (2,
4 or 6 digits: the longest match wins); `chapters_loaded` says which chapters' product-specific
rules have been transcribed (docs/certificate-forms.md lists them). An agreement without a file
has no rule here, and its criteria are not worked out.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

RULES_DIR = Path(__file__).resolve().parent / "data" / "origin_rules"

CTC_DIGITS = {"CC": 2, "CTH": 4, "CTSH": 6}


@dataclass(frozen=True)
class OriginRule:
    """What a product must meet: a regional value content of at least `rvc` per cent of the
    FOB value, a change of tariff classification at `ctc`'s level, or both (`combine`)."""

    agreement: str
    rvc: Decimal | None
    ctc: str  # "", "CC", "CTH" or "CTSH"
    combine: str  # "and" or "or"
    criterion: str  # how box 8 words it: "RVC {rvc}% + {ctc}"
    de_minimis_percent: Decimal | None  # non-originating materials failing the CTC, of FOB
    source: str  # "general rule" or "product-specific rule for 6109", and the text

    @property
    def ctc_digits(self) -> int:
        return CTC_DIGITS.get(self.ctc, 0)


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


@functools.cache
def _rules_file(agreement: str) -> dict[str, Any] | None:
    path = RULES_DIR / f"{agreement}.json"
    if not agreement.isalnum() or not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def loaded_agreements() -> list[str]:
    return sorted(p.stem for p in RULES_DIR.glob("*.json"))


def rule_for(agreement: str, hs_code: str) -> OriginRule | None:
    """The rule a product of `hs_code` meets under `agreement`: its product-specific rule
    where one is loaded (the longest HS prefix), the general rule otherwise; None when the
    agreement has no rules file."""
    data = _rules_file(agreement)
    if data is None:
        return None
    specific = data.get("product_specific", {})
    for digits in (6, 4, 2):
        entry = specific.get(hs_code[:digits])
        if entry is not None:
            where = f"product-specific rule for HS {hs_code[:digits]}"
            break
    else:
        entry, where = data["general"], "general rule"
    return OriginRule(
        agreement=agreement,
        rvc=_decimal(entry.get("rvc")),
        ctc=entry.get("ctc", ""),
        combine=entry.get("combine", "and"),
        criterion=entry.get("criterion", data["general"]["criterion"]),
        de_minimis_percent=_decimal(data.get("de_minimis_percent")),
        source=f"{where} ({data['source']})",
    )
