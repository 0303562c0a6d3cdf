"""`{% allowed application "withdraw" as may_withdraw %}`: the transitions table's answer for
the signed-in user, so that no template retypes a rule."""

from __future__ import annotations

from django import template

from applications.models import Application
from applications.selectors import submitted_by_label
from applications.workflow import allowed as workflow_allowed

register = template.Library()


@register.simple_tag(takes_context=True)
def allowed(context: template.Context, application: Application, action: str) -> bool:
    request = context.get("request")
    return workflow_allowed(application, action, getattr(request, "user", None))


@register.simple_tag
def submitted_by(application: Application) -> str:
    """`{% submitted_by application %}`: "<name> (<role>)" of whoever submitted it."""
    return submitted_by_label(application)
