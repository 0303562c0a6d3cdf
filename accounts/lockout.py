"""Sign-in limits: the per-account lock (django-axes) and the per-address limit.

Axes locks one IEC (or officer username) after AXES_FAILURE_LIMIT wrong passwords within the
cool-off (30 minutes). The lock is not a weapon: attempts during it are not recorded, so they
never move its end (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off); the owner lifts it by
resetting the password, an officer's agency administrator with the admin action. The count is
checked and incremented atomically: password_check holds the account's row lock while axes
reads the count, the password is tested and the failure is written, so parallel attempts
check at most AXES_FAILURE_LIMIT passwords.

Separately, one address may fail at most LOGIN_FAILURES_PER_IP_PER_HOUR times an hour across
all accounts (the `login-per-address` policy of core/ratelimits.py, counted in the
cache), so nobody sprays one password over many IECs. A noisy
address does not shut out everyone behind it (an office's NAT, a proxy, a mobile carrier):
as long as the address's own failures against the account (counted per account-address pair)
stay under the account limit, these may still try:

- an account that has signed in from that address within KNOWN_ADDRESS_DAYS;
- an account known to this browser: a successful sign-in leaves a signed device cookie
  naming the account (OWASP's "device cookies", Blocking Brute Force Attacks), so someone who
  signed in at home is not shut out at the office; a cookie cannot be made without the
  SECRET_KEY, nor name an account without that account's password;
- an officer with a second factor (a confirmed authenticator): their password alone opens
  nothing, and the password step never says whether it was right.

The per-account limits (axes' lock, the pair count) apply to all of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import ratelimits
from core.clientip import client_ip
from core.ratelimits import LOGIN_PER_ADDRESS, LOGIN_PER_IEC

from .models import LoginActivity, User

logger = logging.getLogger("accounts.security")

KNOWN_ADDRESS_DAYS = 30
DEVICE_COOKIE = "coo_device"
DEVICE_SALT = "accounts.lockout.device"
DEVICE_ACCOUNTS = 5  # a shared office computer: the last few accounts signed in on it


def username_from_request(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Axes needs to know which field holds the username (the IEC or the officer's name)."""
    if credentials and credentials.get("username"):
        return str(credentials["username"]).strip().upper()
    return str(request.POST.get("username", "")).strip().upper()


def _address_failures(request: HttpRequest, *, increment: bool = False) -> int:
    return ratelimits.hits(LOGIN_PER_ADDRESS.name, key=client_ip(request), increment=increment)


def _pair_failures(request: HttpRequest, username: str, *, increment: bool = False) -> int:
    # The address's failures against one account, in the same hourly window.
    pair = f"{client_ip(request)}:account:{username.strip().upper()}"
    return ratelimits.hits(LOGIN_PER_ADDRESS.name, key=pair, increment=increment)


def ip_failure_add(request: HttpRequest, username: str) -> int:
    """Count a failed password against the address and against the account-address pair."""
    _pair_failures(request, username, increment=True)
    return _address_failures(request, increment=True)


def _known_here(request: HttpRequest, username: str) -> bool:
    since = timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)
    return LoginActivity.objects.filter(
        user__username=username,
        kind=LoginActivity.Kind.LOGIN,
        ip_address=client_ip(request) or None,
        at__gte=since,
    ).exists()


def _device_accounts(request: HttpRequest) -> list[str]:
    """The accounts this browser's device cookie names: [] if it has none, or a forged,
    tampered or expired one."""
    value = request.get_signed_cookie(
        DEVICE_COOKIE, default="", salt=DEVICE_SALT, max_age=timedelta(days=KNOWN_ADDRESS_DAYS)
    )
    return [name for name in str(value).split(",") if name]


def device_remember(request: HttpRequest, response: HttpResponse, user: User) -> None:
    """After a successful sign-in: this browser knows the account (see the module)."""
    name = user.username.upper()
    known = [name] + [other for other in _device_accounts(request) if other != name]
    response.set_signed_cookie(
        DEVICE_COOKIE,
        ",".join(known[:DEVICE_ACCOUNTS]),  # usernames never contain a comma
        salt=DEVICE_SALT,
        max_age=KNOWN_ADDRESS_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _has_second_factor(username: str) -> bool:
    devices = TOTPDevice.objects.filter(
        user__username__iexact=username, user__is_active=True, confirmed=True
    )
    return bool(devices.exists())  # django-otp's managers are untyped


def ip_is_blocked(request: HttpRequest, username: str) -> bool:
    """Whether this address may not try a password for `username` now (see the module)."""
    address_limit, _ = LOGIN_PER_ADDRESS.limit_and_period()
    if _address_failures(request) < address_limit:
        return False
    account_limit, _ = LOGIN_PER_IEC.limit_and_period()
    if _pair_failures(request, username) >= account_limit:
        return True
    if username.strip().upper() in _device_accounts(request):
        return False
    return not (_known_here(request, username) or _has_second_factor(username))


@dataclass(frozen=True)
class Attempt:
    user: User | None
    locked: bool = False
    address_blocked: bool = False


def password_check(request: HttpRequest, *, username: str, password: str) -> Attempt:
    """Try a password under both limits. Call it only once the CAPTCHA has passed.

    The account's row stays locked (SELECT ... FOR UPDATE) from before axes reads the failure
    count until the failure is written, so the check and the increment are one step; two
    attempts on one account run one after the other, attempts on different accounts do not
    wait for each other.
    """
    if ip_is_blocked(request, username):
        logger.warning(
            "sign-in refused: %s from the noisy address %s", username, client_ip(request)
        )
        return Attempt(None, address_blocked=True)
    with transaction.atomic():
        list(User.objects.select_for_update().filter(username=username).values_list("pk"))
        user = authenticate(request, username=username, password=password)
    # Axes notes the new count on the request when it recorded a wrong password (the one that
    # locks the account included), and not when the lock refused the attempt unchecked.
    if user is None and hasattr(request, "axes_failures_since_start"):
        ip_failure_add(request, username)
        logger.warning("sign-in failed for %s from %s", username, client_ip(request))
    if getattr(request, "axes_locked_out", False):
        return Attempt(None, locked=True)
    return Attempt(user)


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
