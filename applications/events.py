"""The one writer of an application's audit trail (ApplicationEvent is append-only).

Every event, whoever causes it (the workflow, payments, certificate issuance and revocation),
is written by `application_event_record`, in the caller's transaction. Inside `via_api()` (the
filing API wraps each call in it) the events say they were done through the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .models import ApplicationEvent, Status
from .rollups import is_review_step, review_day_add

_VIA_API: ContextVar[bool] = ContextVar("coo_via_api", default=False)


@contextmanager
def via_api() -> Iterator[None]:
    """Mark every event written inside the block as done through the filing API."""
    token = _VIA_API.set(True)
    try:
        yield
    finally:
        _VIA_API.reset(token)


def application_event_record(
    *,
    application_id: int,
    kind: ApplicationEvent.Kind = ApplicationEvent.Kind.MESSAGE,
    actor: Any = None,
    note: str = "",
    from_status: Status | str = "",
    to_status: Status | str = "",
    agency_id: int | None = None,
) -> ApplicationEvent:
    """Append one event to the application's trail. `actor` is None for the system.

    A review step (into or out of review) is also counted in the reports' daily roll-up
    (applications/rollups.py), here in the same transaction; `agency_id`, the application's,
    saves looking it up."""
    event = ApplicationEvent.objects.create(
        application_id=application_id,
        kind=kind,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
        via_api=_VIA_API.get() and actor is not None,
    )
    if kind == ApplicationEvent.Kind.TRANSITION and is_review_step(from_status, to_status):
        review_day_add(event=event, agency_id=agency_id)
    return event
