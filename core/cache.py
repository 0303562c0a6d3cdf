"""Django's Redis cache, degraded to a database table while Redis is unreachable.

Sign-in (the per-address failure count), django-ratelimit and anything else that uses the
cache keeps working during a Redis outage instead of answering 500: every call that fails
with a connection error or a timeout is answered by the "fallback" cache (a DatabaseCache),
and for FALLBACK_SECONDS after a failure this process does not try Redis at all, so an
outage costs one socket timeout per process, not one per call. Counts kept during the outage
start afresh in the fallback and are not merged back: a limit is briefly looser, never off.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

FALLBACK_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _degrading(name: str) -> Callable[..., Any]:
    redis_method = getattr(RedisCache, name)

    @functools.wraps(redis_method)
    def method(self: FallbackRedisCache, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= FallbackRedisCache.down_until:
            try:
                return redis_method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                logger.warning("Redis cache unreachable (%r): using the database", exc)
                FallbackRedisCache.down_until = time.monotonic() + FALLBACK_SECONDS
        return getattr(caches["fallback"], name)(*args, **kwargs)

    return method


class FallbackRedisCache(RedisCache):
    # When this process may try Redis again. A class attribute: django.core.cache.caches
    # makes one instance per thread, and every thread of a process should skip Redis together.
    down_until = 0.0

    add = _degrading("add")
    get = _degrading("get")
    set = _degrading("set")
    touch = _degrading("touch")
    delete = _degrading("delete")
    get_many = _degrading("get_many")
    has_key = _degrading("has_key")
    incr = _degrading("incr")
    set_many = _degrading("set_many")
    delete_many = _degrading("delete_many")
    clear = _degrading("clear")


def redis_reachable() -> bool | None:
    """Whether the default cache's Redis answers a PING now (None: the cache is not Redis).

    For health checks: through FallbackRedisCache a set/get succeeds while Redis is down."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    try:
        return bool(cache._cache.get_client(write=True).ping())  # type: ignore[attr-defined]  # RedisCache keeps its client there
    except UNREACHABLE:
        return False
