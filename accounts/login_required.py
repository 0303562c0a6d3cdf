"""Django's LoginRequiredMiddleware, with the officers' pages sending the signed-out to the
officer sign-in (username, password, authenticator code) instead of the exporters' (IEC), and
the verifiers' pages (customs authorities, banks) to theirs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest, HttpResponseRedirect

OFFICER_PREFIXES = ("/officer/", "/certificates/revoke/")
VERIFIER_PREFIXES = ("/verifiers/",)


class PortalLoginRequiredMiddleware(LoginRequiredMiddleware):
    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> HttpResponseRedirect:
        if request.path.startswith(OFFICER_PREFIXES) and not getattr(view_func, "login_url", None):
            view_func = _with_login_url(view_func, "accounts:officer-login")
        elif request.path.startswith(VERIFIER_PREFIXES):
            view_func = _with_login_url(view_func, "accounts:verifier-login")
        return super().handle_no_permission(request, view_func)


def _with_login_url(view_func: Any, login_url: str) -> Any:
    """A stand-in carrying `login_url` (the view itself is not changed for other requests)."""

    class _View:
        redirect_field_name = getattr(view_func, "redirect_field_name", "next")

    _View.login_url = login_url  # type: ignore[attr-defined]  # set on a class made here, which mypy reads as empty
    return _View
