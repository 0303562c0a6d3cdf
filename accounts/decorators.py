"""Who may open a page: `exporter_required` and `officer_required`.

Officers are verified twice: a password, then a TOTP code (django-otp marks the session, and
`request.user.is_verified()` says so). An exporter who wanders onto an officer page gets a 404,
not a hint that the page exists; an officer on an exporter page likewise.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from . import firms
from .permissions import has_second_factor, is_officer

View = Callable[..., HttpResponse]


def _to_login(request: HttpRequest, url_name: str) -> HttpResponse:
    return HttpResponseRedirect(
        f"{reverse(url_name)}?{urlencode({'next': request.get_full_path()})}"
    )


def is_registered_exporter(user: Any) -> bool:
    """A current member of a firm (the IEC's registrant once registration is complete, or an
    invited member), or a registered agent's staff."""
    return firms.files_for_firms(user)


def officer_required(view: View) -> View:
    """Signed in, an officer or agency administrator, and past the second factor."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return _to_login(request, "accounts:officer-login")
        if not is_officer(user):
            raise Http404
        if not has_second_factor(user):
            return _to_login(request, "accounts:officer-login")
        return view(request, *args, **kwargs)

    return wrapper


def exporter_required(view: View) -> View:
    """Signed in as someone who files for firms (accounts.firms): a member of a firm or an
    agent's staff. Each page then scopes its objects by the firms they act for now."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return _to_login(request, "accounts:login")
        if not (getattr(user, "is_exporter", False) or getattr(user, "is_agent", False)):
            raise Http404
        if not is_registered_exporter(user):
            return _to_login(request, "accounts:login")
        return view(request, *args, **kwargs)

    return wrapper
