"""Risk checks on the review page: what an officer should see before approving.

Each check is explained in one sentence, written for the officer:

- the same invoice number in another open or issued application of the firm (at this agency,
  with its reference; a shipment may be split, or a certificate asked for twice);
- the same consignment (an invoice number of the firm, or the identical bill of lading file)
  applied for at another agency, or refused anywhere in the last REFUSED_WINDOW_DAYS: "agency
  shopping". Another agency's application is named by nothing (no reference, no agency): an
  officer sees only their own agency's work;
- an HS code whose chapter does not fit the description: none of the description's words is
  found in the chapter's title or the titles of its headings (HS 2022). A word overlap is
  crude: it says "look at this", not "this is wrong";
- a value far from the firm's own history: the FOB value per kilogram of an item is more than
  VALUE_FACTOR times above or below the median of the firm's earlier approved or issued items
  with the same HS code and currency (at least HISTORY_MIN of them).

`application_risks` runs a fixed number of queries (at most four), whatever the number of
items, invoices or earlier applications.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from applications.models import Application, Document, DocumentKind, Invoice, LineItem, Status
from reference.models import HSCode

REFUSED_WINDOW_DAYS = 180
VALUE_FACTOR = 5
HISTORY_MIN = 3
HISTORY_ROWS = 500  # the firm's most recent items of the same codes: enough for a median
# Another application "uses" an invoice or a bill of lading while it is open or has produced a
# certificate; a draft is not yet an application, a withdrawal gave it up.
IN_USE = (
    Status.SUBMITTED,
    Status.UNDER_REVIEW,
    Status.CLARIFICATION_REQUESTED,
    Status.APPROVED,
    Status.ISSUED,
)
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "in",
        "into",
        "is",
        "its",
        "not",
        "of",
        "on",
        "or",
        "other",
        "others",
        "than",
        "the",
        "their",
        "them",
        "this",
        "to",
        "with",
        "without",
        "whether",
        "parts",
        "thereof",
        "nes",
        "used",
        "new",
    }
)


@dataclass(frozen=True)
class Risk:
    """One risk found: a short title and the sentence that explains it."""

    label: str
    detail: str


def application_risks(application: Application, *, now: datetime | None = None) -> list[Risk]:
    """Every risk found on the application, in a fixed order (see the module docstring).
    Reads the application's prefetched invoices, items and documents."""
    now = now or timezone.now()
    return [
        *_invoice_risks(application, now=now),
        *_bill_of_lading_risks(application, now=now),
        *_hs_chapter_risks(application),
        *_value_risks(application),
    ]


# ---------------------------------------------------------------------------------------------
# The same invoice or bill of lading
# ---------------------------------------------------------------------------------------------


def _refused_recently(status: str, decided_at: datetime | None, *, now: datetime) -> bool:
    return (
        status == Status.REJECTED
        and decided_at is not None
        and decided_at >= now - timedelta(days=REFUSED_WINDOW_DAYS)
    )


def _elsewhere_risks(
    rows: list[tuple[str, str, int, str, datetime | None]],
    application: Application,
    *,
    what: str,
    now: datetime,
) -> list[Risk]:
    """Risks from other applications that share `what` (an invoice number, a bill of lading):
    rows of (key, reference, agency id, status, decided at)."""
    here: dict[str, list[str]] = defaultdict(list)
    refused_here: dict[str, list[str]] = defaultdict(list)
    other_agency: set[str] = set()
    refused_elsewhere: set[str] = set()
    for key, reference, agency_id, status, decided_at in rows:
        same_agency = agency_id == application.agency_id
        if _refused_recently(status, decided_at, now=now):
            (refused_here[key].append(reference) if same_agency else refused_elsewhere.add(key))
        elif status in IN_USE:
            (here[key].append(reference) if same_agency else other_agency.add(key))
    risks = []
    for key, references in here.items():
        risks.append(
            Risk(
                f"{what.capitalize()} used before",
                f"{what.capitalize()} {key} is also on {', '.join(sorted(references))}, "
                "open or issued: one shipment should have one certificate.",
            )
        )
    for key in sorted(other_agency):
        risks.append(
            Risk(
                "Applied for at another agency",
                f"{what.capitalize()} {key} is also on an open or issued application at another "
                "issuing agency.",
            )
        )
    for key, references in refused_here.items():
        risks.append(
            Risk(
                "Refused recently",
                f"{what.capitalize()} {key} was on {', '.join(sorted(references))}, refused "
                f"here in the last {REFUSED_WINDOW_DAYS} days.",
            )
        )
    for key in sorted(refused_elsewhere):
        risks.append(
            Risk(
                "Refused at another agency",
                f"{what.capitalize()} {key} was on an application refused by another issuing "
                f"agency in the last {REFUSED_WINDOW_DAYS} days.",
            )
        )
    return risks


def _invoice_risks(application: Application, *, now: datetime) -> list[Risk]:
    """The firm's other applications carrying one of this one's invoice numbers (one query)."""
    numbers = sorted({i.number for i in application.invoices.all()})
    if not numbers:
        return []
    rows = list(
        Invoice.objects.filter(application__firm_id=application.firm_id, number__in=numbers)
        .exclude(application_id=application.pk)
        .filter(application__status__in=[*IN_USE, Status.REJECTED])
        .order_by("number", "application__reference")
        .values_list(
            "number",
            "application__reference",
            "application__agency_id",
            "application__status",
            "application__decided_at",
        )
        .distinct()
    )
    return _elsewhere_risks(rows, application, what="invoice", now=now)


def _bill_of_lading_risks(application: Application, *, now: datetime) -> list[Risk]:
    """Other applications, of any firm, carrying the identical bill of lading or airway bill
    file (its SHA-256; the portal records no bill of lading number). One query."""
    documents = {
        d.sha256: d.original_name
        for d in application.documents.all()
        if d.kind == DocumentKind.BILL_OF_LADING
    }
    if not documents:
        return []
    rows = (
        Document.objects.filter(kind=DocumentKind.BILL_OF_LADING, sha256__in=list(documents))
        .exclude(application_id=application.pk)
        .filter(application__status__in=[*IN_USE, Status.REJECTED])
        .order_by("application__reference")
        .values_list(
            "sha256",
            "application__reference",
            "application__agency_id",
            "application__status",
            "application__decided_at",
        )
        .distinct()
    )
    named = [
        (f"({documents[sha]})", reference, agency_id, status, decided_at)
        for sha, reference, agency_id, status, decided_at in rows
    ]
    return _elsewhere_risks(named, application, what="bill of lading", now=now)


# ---------------------------------------------------------------------------------------------
# HS chapter against the description
# ---------------------------------------------------------------------------------------------


def _stems(text: str) -> set[str]:
    """The words of `text` that say something, lower case, a plural 's' or 'es' taken off."""
    stems = set()
    for word in re.findall(r"[a-z]+", text.lower()):
        if len(word) < 3 or word in STOP_WORDS:
            continue
        for ending in ("ies", "es", "s"):
            if word.endswith(ending) and len(word) - len(ending) >= 3:
                word = word[: -len(ending)] + ("y" if ending == "ies" else "")
                break
        stems.add(word)
    return stems


def _overlaps(words: set[str], vocabulary: set[str]) -> bool:
    """A word of the description is in the vocabulary, or one starts the other ('knit' and
    'knitted'), for words of four letters or more."""
    if words & vocabulary:
        return True
    return any(
        len(w) >= 4 and len(v) >= 4 and (w.startswith(v) or v.startswith(w))
        for w in words
        for v in vocabulary
    )


def _hs_chapter_risks(application: Application) -> list[Risk]:
    """Items whose description shares no word with their HS chapter's headings (one query).
    A chapter the reference data does not hold is not judged."""
    items = list(application.items.all())
    chapters = sorted({item.hs_code[:2] for item in items})
    if not chapters:
        return []
    vocabulary: dict[str, set[str]] = defaultdict(set)
    titles: dict[str, str] = {}
    for code, description, level in HSCode.objects.filter(
        Q(code__in=chapters, level=2) | Q(parent__in=chapters, level=4)
    ).values_list("code", "description", "level"):
        vocabulary[code[:2]] |= _stems(description)
        if level == 2:
            titles[code] = description
    risks = []
    for item in items:
        chapter = item.hs_code[:2]
        if not vocabulary.get(chapter):
            continue
        if not _overlaps(_stems(item.description), vocabulary[chapter]):
            title = titles.get(chapter, "")
            risks.append(
                Risk(
                    f"Item {item.position}: HS chapter and description differ",
                    f"None of the words of \u201c{item.description}\u201d is in the headings of "
                    f"chapter {chapter}{f' ({title})' if title else ''}, where {item.hs_code} "
                    "belongs.",
                )
            )
    return risks


# ---------------------------------------------------------------------------------------------
# Values against the firm's own history
# ---------------------------------------------------------------------------------------------


def _per_kg(value: Decimal, weight: Decimal) -> Decimal | None:
    return (value / weight) if weight else None


def _value_risks(application: Application) -> list[Risk]:
    """Items whose FOB value per kg is far from the firm's median for the same HS code and
    currency over its earlier approved or issued applications (one query)."""
    items = list(application.items.all())
    codes = sorted({item.hs_code for item in items})
    if not codes:
        return []
    history: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    rows = (
        LineItem.objects.filter(
            application__firm_id=application.firm_id,
            application__status__in=[Status.APPROVED, Status.ISSUED],
            hs_code__in=codes,
        )
        .exclude(application_id=application.pk)
        .order_by("-application_id")
        .values_list("hs_code", "fob_currency", "fob_value", "gross_weight_kg")[:HISTORY_ROWS]
    )
    for code, currency, value, weight in rows:
        per_kg = _per_kg(value, weight)
        if per_kg is not None:
            history[(code, currency)].append(per_kg)
    risks = []
    for item in items:
        earlier = history.get((item.hs_code, item.fob_currency), [])
        per_kg = _per_kg(item.fob_value, item.gross_weight_kg)
        if len(earlier) < HISTORY_MIN or per_kg is None:
            continue
        usual = statistics.median(earlier)
        if usual <= 0:
            continue
        if per_kg > usual * VALUE_FACTOR:
            how_far = f"over {VALUE_FACTOR} times"
        elif per_kg * VALUE_FACTOR < usual:
            how_far = f"under 1/{VALUE_FACTOR} of"
        else:
            continue
        risks.append(
            Risk(
                f"Item {item.position}: value far from the firm's history",
                f"{item.fob_currency} {per_kg:,.2f} per kg is {how_far} the firm's usual "
                f"{item.fob_currency} {usual:,.2f} per kg for {item.hs_code} (the median of "
                f"{len(earlier)} earlier items approved or issued).",
            )
        )
    return risks
