"""issue 15: the named rate-limit policies (core/ratelimits.py)."""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core import ratelimits


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_the_policies_are_named_and_read_their_settings_when_used(settings):
    settings.VERIFY_RATE = "7/m"
    settings.LOGIN_FAILURES_PER_IP_PER_HOUR = 12
    settings.AXES_FAILURE_LIMIT = 4
    settings.SUBSCRIBE_RATE = "3/h"
    settings.API_RATE_READ, settings.API_RATE_WRITE = "9/m", "3/h"
    assert set(ratelimits.POLICIES) == {
        "login-per-iec",
        "login-per-address",
        "verification-lookup",
        "status-subscription",
        "registration-restart",
        "api-read",
        "api-write",
    }
    assert ratelimits.policy("status-subscription").limit_and_period() == (3, 3600)
    assert ratelimits.policy("api-read").limit_and_period() == (9, 60)
    assert ratelimits.policy("api-write").limit_and_period() == (3, 3600)
    assert ratelimits.policy("verification-lookup").limit_and_period() == (7, 60)
    assert ratelimits.policy("login-per-address").limit_and_period() == (12, 3600)
    assert ratelimits.policy("login-per-iec").limit_and_period() == (4, 30 * 60)
    settings.REGISTRATION_RESTARTS_PER_DAY = 2
    assert ratelimits.policy("registration-restart").limit_and_period() == (2, 86400)


def test_a_malformed_rate_names_its_setting(settings):
    settings.VERIFY_RATE = "thirty a minute"
    with pytest.raises(ImproperlyConfigured, match="VERIFY_RATE must look like 30/m"):
        ratelimits.VERIFICATION_LOOKUP.limit_and_period()


def test_rates_are_written_as_django_ratelimit_writes_them():
    assert ratelimits.parse_rate("30/m") == (30, 60)
    assert ratelimits.parse_rate("5/30m") == (5, 1800)
    assert ratelimits.parse_rate("2/d") == (2, 86400)


def test_a_count_lasts_the_period_from_its_first_hit(settings):
    # Local memory: its expiry follows the travelling clock (a Redis key's does not).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.LOGIN_FAILURES_PER_IP_PER_HOUR = 50
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(3):
            ratelimits.hits("login-per-address", key="192.0.2.1", increment=True)
        assert ratelimits.hits("login-per-address", key="192.0.2.1") == 3
        assert ratelimits.hits("login-per-address", key="192.0.2.2") == 0
        clock.shift(59 * 60)
        assert ratelimits.hits("login-per-address", key="192.0.2.1") == 3
        clock.shift(2 * 60)
        assert ratelimits.hits("login-per-address", key="192.0.2.1") == 0
