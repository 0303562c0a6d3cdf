"""Keyset (cursor) pagination and bounded counts, for lists that may hold a million rows.

Django's Paginator counts every row of the filtered set on every page and reads a deep page with
OFFSET, so page 1 of a large queue and page 10,000 both cost a scan. Here a page is "the next
25 rows after this one" in the list's order: with an index on the order, page 1 and any later
page cost the same few index reads. The price is that a page has no number and the list no
total; counts are bounded instead ("1,000+").

A cursor is the sort key of the row at the edge of a page, in the URL as an opaque token: an
altered token is only a different starting point inside the same (already permission-filtered)
queryset, never a way around a filter, so it needs no signature.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

COUNT_LIMIT = 1000


def bounded_counts(
    querysets: Mapping[str, QuerySet[Any]], *, limit: int | None = None
) -> dict[str, int]:
    """{key: number of rows}, each counted up to `limit + 1` at most (a figure above `limit`
    means "more than limit"), all in one query: each count stops after limit + 1 index
    entries instead of scanning every row it could match.

    Django has no expression for "count of a sliced subquery" in a select list, so the
    statement is composed from each queryset's own compiled SQL and parameters (nothing here
    is interpolated from input).
    """
    if not querysets:
        return {}
    limit = COUNT_LIMIT if limit is None else limit
    parts: list[str] = []
    params: list[Any] = []
    alias = None
    for queryset in querysets.values():
        alias = queryset.db
        sql, qparams = queryset.order_by().values("pk")[: limit + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS bounded_{len(parts)})")  # noqa: S608
        params.extend(qparams)
    with connections[alias or "default"].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def count_label(count: int, *, limit: int | None = None) -> str:
    """'25', '1,000+': a bounded count as people read it."""
    limit = COUNT_LIMIT if limit is None else limit
    return f"{limit:,}+" if count > limit else f"{count:,}"


@dataclass(frozen=True)
class Order:
    """A list's order: one timestamp field then the primary key, both ascending or both
    descending (an index on (…, field, id) in the same direction serves it)."""

    field: str
    descending: bool = False

    def order_by(self, *, reverse: bool = False) -> tuple[str, str]:
        down = self.descending != reverse
        sign = "-" if down else ""
        return (f"{sign}{self.field}", f"{sign}pk")

    def after(self, value: datetime, pk: int, *, reverse: bool = False) -> Q:
        """Rows strictly after (value, pk) in this order (or before it, with reverse).

        Written as `field >= value AND (field > value OR pk > id)` rather than the plain OR,
        so that the database can start an index range scan at `value`.
        """
        down = self.descending != reverse
        op = "lt" if down else "gt"
        return Q(**{f"{self.field}__{op}e": value}) & (
            Q(**{f"{self.field}__{op}": value}) | Q(**{f"pk__{op}": pk})
        )


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_cursor: str
    previous_cursor: str

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def encode_cursor(direction: str, row: Model, order: Order) -> str:
    """The cursor of a page that starts after (\"n\") or ends before (\"p\") `row`."""
    value = getattr(row, order.field)
    raw = json.dumps([direction, value.isoformat(), row.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[str, datetime, int] | None:
    """(direction, value, pk) from a cursor, or None for anything malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        direction, value, pk = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        return None
    moment = parse_datetime(value) if isinstance(value, str) else None
    if direction not in {"n", "p"} or moment is None or type(pk) is not int:
        return None
    return direction, moment, pk


def keyset_page(
    queryset: QuerySet[Any], *, order: Order, cursor: str = "", size: int
) -> KeysetPage:
    """One page of `queryset` in `order`, starting after (or, going back, before) the row the
    cursor names. One query: it reads size + 1 rows to know whether another page follows.
    A malformed cursor gives the first page. Rows whose order field is null are left out."""
    queryset = queryset.exclude(**{f"{order.field}__isnull": True})
    decoded = decode_cursor(cursor) if cursor else None
    backwards = decoded is not None and decoded[0] == "p"
    if decoded is not None:
        _, value, pk = decoded
        queryset = queryset.filter(order.after(value, pk, reverse=backwards))
    rows = list(queryset.order_by(*order.order_by(reverse=backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if not rows:
        return KeysetPage(items=[], next_cursor="", previous_cursor="")
    # Going forwards, a previous page exists if we came from somewhere; going back, a next page
    # exists (the one we came from), and a previous one if more rows were read than shown.
    has_next = more if not backwards else True
    has_previous = decoded is not None if not backwards else more
    return KeysetPage(
        items=rows,
        next_cursor=encode_cursor("n", rows[-1], order) if has_next else "",
        previous_cursor=encode_cursor("p", rows[0], order) if has_previous else "",
    )
