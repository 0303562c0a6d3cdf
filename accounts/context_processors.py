from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import firms


def acting(request: HttpRequest) -> dict[str, Any]:
    """For an agent's staff: the IECs they may file for now and the one they act for, shown in
    the header of every page; for a firm's administrator, that they manage its agents."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if firms.agent_id_of(user) is not None:
        choices = list(firms.firms_for(user))
        acting_id = firms.acting_firm_id(request)
        return {
            "agent_firms": choices,
            "acting_firm": next((f for f in choices if f.pk == acting_id), None),
            "manages_agent": firms.administered_agent_id(user) is not None,
        }
    if getattr(user, "is_exporter", False):
        firm_id = firms.acting_firm_id(request)
        return {"manages_firm": firms.may(user, firm_id, firms.Capability.MANAGE)}
    return {}
