"""Receivers: the account's activity log and the lockout log line."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.http import HttpRequest

from core.clientip import client_ip

from . import language
from .lockout import user_locked_out_log
from .models import LoginActivity, User
from .services import activity_record


def _record(request: HttpRequest | None, user: User | None, kind: str) -> None:

    if user is None or not getattr(user, "pk", None):
        return
    ip = client_ip(request) if request is not None else None
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    activity_record(user=user, kind=kind, ip=ip, user_agent=agent)


def on_logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    _record(request, user, LoginActivity.Kind.LOGIN)


def on_logged_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    _record(request, user, LoginActivity.Kind.LOGOUT)


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="accounts.activity.login")
    user_logged_in.connect(language.on_logged_in, dispatch_uid="accounts.language.login")
    user_logged_out.connect(on_logged_out, dispatch_uid="accounts.activity.logout")
    user_locked_out.connect(user_locked_out_log, dispatch_uid="accounts.lockout.log")
