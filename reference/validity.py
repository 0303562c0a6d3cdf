"""How long a certificate is in force, by agreement (reference/data/certificate_validity.json).

Each agreement's rule with its months, its words and its source; `confirmed` says whether the
period was read in the agreement's own text. An agreement the file does not name (a new one in
the reference data) gets the non-preferential entry's period, which the file says is a policy.
"""

from __future__ import annotations

import calendar
import functools
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "certificate_validity.json"


@dataclass(frozen=True)
class Validity:
    months: int
    rule: str
    source: str
    confirmed: bool


@functools.cache
def _table() -> tuple[dict[str, Validity], Validity]:
    raw = json.loads(DATA.read_text())

    def entry(data: dict[str, object]) -> Validity:
        return Validity(
            months=int(str(data["months"])),
            rule=str(data["rule"]),
            source=str(data["source"]),
            confirmed=bool(data["confirmed"]),
        )

    agreements = {code: entry(data) for code, data in raw["agreements"].items()}
    return agreements, entry(raw["non_preferential"])


def validity_for(agreement_code: str) -> Validity:
    """The rule for a certificate under `agreement_code` ("" for a non-preferential one)."""
    agreements, default = _table()
    return agreements.get(agreement_code, default) if agreement_code else default


def valid_until(*, issued_at: datetime, agreement_code: str) -> datetime:
    """The end of a certificate's validity: the same day and time, the agreement's months on
    (the month's last day where it is shorter)."""
    months = validity_for(agreement_code).months
    month_index = issued_at.month - 1 + months
    year, month = issued_at.year + month_index // 12, month_index % 12 + 1
    day = min(issued_at.day, calendar.monthrange(year, month)[1])
    return issued_at.replace(year=year, month=month, day=day)
