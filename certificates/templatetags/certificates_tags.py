from __future__ import annotations

from typing import Any

from django import template

from accounts import firms
from applications.models import Application, CopyReason

from ..selectors import certificate_panel_for, user_may_revoke

register = template.Library()


@register.inclusion_tag("certificates/_panel.html", takes_context=True)
def certificate_panel(context: template.Context, application: Application) -> dict[str, Any]:
    """The certificate block of an application page: status, download, correction, checks."""
    panel = certificate_panel_for(application)
    request = context.get("request")
    user = getattr(request, "user", None)
    is_owner = firms.may(user, application.firm_id, firms.Capability.VIEW)
    may_revoke = (
        panel.certificate is not None
        and user is not None
        and user.is_authenticated
        and not is_owner
        and user_may_revoke(user, panel.certificate)
    )
    return {
        "panel": panel,
        "application": application,
        "certificate": panel.certificate,
        "is_owner": is_owner,
        "may_revoke": may_revoke,
        "copy_reasons": CopyReason.choices,
        "csrf_token": context.get("csrf_token"),
    }
