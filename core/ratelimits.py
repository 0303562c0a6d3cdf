"""The portal's rate limits, by name: one place for every "how many, per how long".

Rates are written as django-ratelimit writes them ('30/m', '5/30m'); a request past the
verification limit raises django-ratelimit's Ratelimited, answered 429 by its middleware.

Each policy's rate is read from the settings when it is used (so a deployment, or a test,
changes it there):

- `login-per-iec`: wrong passwords one account may take, AXES_FAILURE_LIMIT per cool-off.
  django-axes keeps the account's count in the database (accounts/lockout.py holds the row
  lock around it); here the same number also bounds one address's failures against one
  account.
- `login-per-address`: wrong passwords from one address across all accounts,
  LOGIN_FAILURES_PER_IP_PER_HOUR an hour, counted in the cache by `hits`.
- `api-read` and `api-write`: filing API calls per token (GET, and everything else),
  API_RATE_READ and API_RATE_WRITE, counted in the cache by `hits`.
- `verification-lookup`: lookups per client, VERIFY_RATE. With Redis, verification's Lua
  script (verification/store.py) counts them in the same round trip that reads the kept
  answer; this policy gives it its rate.
- `registration-restart`: how many times a day a registration in progress of one IEC may be
  voided by a new request (the form asks only for the IEC, email and mobile, which are not
  secret), REGISTRATION_RESTARTS_PER_DAY, counted in the cache by `hits`.
- `status-subscription`: new status subscriptions (verification/subscriptions.py) per client,
  SUBSCRIBE_RATE, counted in the cache by `hits`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

_RATE = re.compile(r"(\d+)/(\d*)([smhd])")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Policy:
    name: str
    setting: str  # the setting it is read from, named when it is malformed
    rate_from_settings: Callable[[], str]

    @property
    def rate(self) -> str:
        """The rate as django-ratelimit writes it: '30/m', '50/h', '5/30m'."""
        return self.rate_from_settings()

    def limit_and_period(self) -> tuple[int, int]:
        """(requests allowed, window in seconds)."""
        return parse_rate(self.rate, name=self.setting)


@functools.lru_cache(maxsize=16)  # on every verification lookup
def parse_rate(rate: str, *, name: str = "rate") -> tuple[int, int]:
    """'30/m' -> (30, 60); '5/30m' -> (5, 1800)."""
    match = _RATE.fullmatch(rate.strip())
    if match is None:
        raise ImproperlyConfigured(f"{name} must look like 30/m, not {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _PERIODS[unit]


def _axes_rate() -> str:
    cool_off_minutes = int(getattr(settings, "AXES_COOLOFF_TIME", 0.5) * 60) or 30
    return f"{settings.AXES_FAILURE_LIMIT}/{cool_off_minutes}m"


LOGIN_PER_IEC = Policy("login-per-iec", "AXES_FAILURE_LIMIT", _axes_rate)
LOGIN_PER_ADDRESS = Policy(
    "login-per-address",
    "LOGIN_FAILURES_PER_IP_PER_HOUR",
    lambda: f"{settings.LOGIN_FAILURES_PER_IP_PER_HOUR}/h",
)
VERIFICATION_LOOKUP = Policy(
    "verification-lookup", "VERIFY_RATE", lambda: str(settings.VERIFY_RATE)
)

STATUS_SUBSCRIPTION = Policy(
    "status-subscription", "SUBSCRIBE_RATE", lambda: str(settings.SUBSCRIBE_RATE)
)
REGISTRATION_RESTART = Policy(
    "registration-restart",
    "REGISTRATION_RESTARTS_PER_DAY",
    lambda: f"{settings.REGISTRATION_RESTARTS_PER_DAY}/d",
)
# The filing API (api/auth.py), per token: reads and writes counted apart.
API_READ = Policy("api-read", "API_RATE_READ", lambda: str(settings.API_RATE_READ))
API_WRITE = Policy("api-write", "API_RATE_WRITE", lambda: str(settings.API_RATE_WRITE))

POLICIES = {
    p.name: p
    for p in (
        LOGIN_PER_IEC,
        LOGIN_PER_ADDRESS,
        VERIFICATION_LOOKUP,
        STATUS_SUBSCRIPTION,
        REGISTRATION_RESTART,
        API_READ,
        API_WRITE,
    )
}


def policy(name: str) -> Policy:
    return POLICIES[name]


def hits(name: str, *, key: str, increment: bool = False) -> int:
    """How many hits `key` has under the policy (after this one, if `increment`).

    The window opens at the key's first hit and lasts the policy's period (the count lives in
    the cache with that timeout). django-ratelimit's own windows are fixed to the clock, so a
    count could end minutes after the hit that made it: "shut out for the hour after the
    failures" needs the window to start with them.
    """
    chosen = policy(name)
    _, period = chosen.limit_and_period()
    cache_key = f"rl:{chosen.name}:{key}"
    if not increment:
        return int(cache.get(cache_key, 0))
    cache.add(cache_key, 0, timeout=period)
    try:
        return int(cache.incr(cache_key))
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period)
        return 1
