"""The one helper for every gapless series (application references, certificate numbers).

A counter is a row with a `last` field, one per series key (a year; an office and a year). The
next value is taken with the row locked (select_for_update) until the caller's transaction
ends: "highest + 1" hands out duplicates under concurrency and a database sequence leaves
gaps; a locked row does neither, and a rollback gives the value back.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction


def counter_next(model: type[models.Model], **key: Any) -> int:
    """Add one to the counter row of `model` for `key` (created at 0 if missing) and return
    the new value. Must run inside transaction.atomic(): the row stays locked until commit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("counter_next() must run inside transaction.atomic().")
    rows = model._default_manager.select_for_update().filter(**key)
    counter = rows.first()
    if counter is None:
        try:
            # A savepoint: if another transaction created the row first, only this insert is
            # undone, and the locked read below waits for that transaction to finish.
            with transaction.atomic():
                model._default_manager.create(**key)
        except IntegrityError:
            pass
        counter = rows.get()
    counter.last += 1  # type: ignore[attr-defined]  # every counter model has `last`
    counter.save(update_fields=["last"])
    return int(counter.last)  # type: ignore[attr-defined]  # as above
