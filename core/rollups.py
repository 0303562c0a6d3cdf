"""The one helper for every daily roll-up that is kept by adding (the reports' tables of
review steps, fees and lookups; bench/reports.py times them at a million applications).

A roll-up row is a key (a day, an agency, ...) under a unique constraint and one or more
amounts. `rollup_add` adds to the amounts in the writer's own transaction with one
INSERT ... ON CONFLICT DO UPDATE per row (PostgreSQL and SQLite alike): the addition is done by
the database on the row it locks, so two writers never lose each other's figures, and a
rollback takes the addition back with the rows it counted. Rows are added in key order, so
two writers that touch the same rows lock them in the same order (no deadlock).

`rollup_add_on` is the common case, one row of a day and an agency: a review step, a fee, a
decision (applications/rollups.py).

`rollup_replace` rebuilds a range of days from the raw rows (the `rollup_reports` command, the
nightly task, a migration's first fill): for past days only, which no writer adds to any more.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone


def rollup_add(
    model: type[models.Model], rows: Iterable[tuple[Mapping[str, Any], Mapping[str, int]]]
) -> None:
    """Add each row's amounts to the roll-up row of its key (created if missing). Every key
    has the same columns, those of the model's unique constraint; so do the amounts."""
    ordered = sorted(rows, key=lambda row: tuple(str(v) for v in row[0].values()))
    if not ordered:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key_columns = [_column(model, name) for name in ordered[0][0]]
    amount_columns = [_column(model, name) for name in ordered[0][1]]
    columns = [quote(c) for c in key_columns + amount_columns]
    added = ", ".join(
        f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in amount_columns
    )
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from the model
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO UPDATE SET {added}"
    )
    params = [
        [_adapt(value) for value in (*key.values(), *amounts.values())] for key, amounts in ordered
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def rollup_add_on(
    model: type[models.Model],
    *,
    when: datetime,
    agency_id: int | None,
    amounts: Mapping[str, int],
    **key: Any,
) -> None:
    """Add `amounts` to the row of the local day of `when`, the agency and the rest of the
    key. Nothing without an agency: the reports count an agency's rows only."""
    if agency_id is None:
        return
    rollup_add(model, [({"day": timezone.localdate(when), "agency": agency_id, **key}, amounts)])


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{name} is not a column of {model.__name__}")
    return field.column


def _adapt(value: Any) -> Any:
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def rollup_replace(
    model: type[models.Model], *, since: date, until: date, rows: Sequence[models.Model]
) -> int:
    """Replace the roll-up rows of the days [since, until) by `rows` (counted from the raw
    rows); returns how many were written. Runs in one transaction."""
    with transaction.atomic():
        model._default_manager.filter(day__gte=since, day__lt=until).delete()
        model._default_manager.bulk_create(rows, batch_size=2000)
    return len(rows)
