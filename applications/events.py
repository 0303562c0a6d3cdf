"""The one writer of an application's audit trail (ApplicationEvent is append-only).

Every event, whoever causes it (the workflow, payments, certificate issuance and revocation),
is written by `application_event_record`, in the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from .models import ApplicationEvent, Status


def application_event_record(
    *,
    application_id: int,
    kind: ApplicationEvent.Kind = ApplicationEvent.Kind.MESSAGE,
    actor: Any = None,
    note: str = "",
    from_status: Status | str = "",
    to_status: Status | str = "",
) -> ApplicationEvent:
    """Append one event to the application's trail. `actor` is None for the system."""
    return ApplicationEvent.objects.create(
        application_id=application_id,
        kind=kind,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
    )
