"""django-axes hooks: how the IEC is read from a login form, and what a lock looks like.

Axes locks one IEC (or officer username) after AXES_FAILURE_LIMIT wrong passwords within the
cool-off. Separately, one IP address may fail at most LOGIN_FAILURES_PER_IP_PER_HOUR times an
hour across all IECs (a counter in the cache), so nobody can try one password on many IECs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from coo_portal.clientip import client_ip

logger = logging.getLogger("accounts.security")

IP_WINDOW_SECONDS = 60 * 60


def username_from_request(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Axes needs to know which field holds the username (the IEC or the officer's name)."""
    if credentials and credentials.get("username"):
        return str(credentials["username"]).strip().upper()
    return str(request.POST.get("username", "")).strip().upper()


def _ip_key(request: HttpRequest) -> str:
    return f"accounts:login-failures:{client_ip(request)}"


def ip_failure_add(request: HttpRequest) -> int:
    key = _ip_key(request)
    cache.add(key, 0, timeout=IP_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=IP_WINDOW_SECONDS)
        return 1


def ip_is_blocked(request: HttpRequest) -> bool:
    return int(cache.get(_ip_key(request), 0)) >= settings.LOGIN_FAILURES_PER_IP_PER_HOUR


def locked_until(username: str) -> datetime | None:
    """When the lock on this username lifts (the last failure plus the cool-off)."""
    cool_off = get_cool_off() or timedelta(minutes=30)
    last = AccessAttempt.objects.filter(username=username).aggregate(last=Max("attempt_time"))[
        "last"
    ]
    return timezone.localtime(last + cool_off) if last else None


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> HttpResponse:
    """The lock notice. It never says whether the password was right."""
    username = username_from_request(request, credentials)
    until = locked_until(username) if username else None
    logger.warning("sign-in refused: %s is locked until %s", username or "?", until)
    return render(request, "accounts/locked.html", {"until": until}, status=429)


def user_locked_out_log(
    sender: Any, request: HttpRequest, username: str, ip_address: str, **kwargs: Any
) -> None:
    """Receiver for axes' user_locked_out signal."""
    logger.warning(
        "account locked: %s after %s failed passwords (last from %s)",
        username,
        settings.AXES_FAILURE_LIMIT,
        ip_address,
    )
