"""Fixtures for outages: a broker and a cache that do not answer, a Redis of our own."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from coo_portal.celery import app
from core.cache import FallbackRedisCache
from core.durable import outbox
from tests.officer.factories import submitted_application


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _forget_connections() -> None:
    # Celery keeps a connection pool and a producer pool made for the URL of their time.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str) -> Iterator[None]:
    """This process's Celery publishes to `url` for real (not eagerly) while inside."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = url, False
    _forget_connections()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _forget_connections()
        outbox._broker_down_until = 0.0


def redis_cache_at(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "core.cache.FallbackRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "sec-resilience-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "fallback": django_settings.CACHES["fallback"],
    }


@pytest.fixture
def redis_unreachable(settings) -> Iterator[str]:
    """Cache and broker pointed at a closed loopback port: Redis is down."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = redis_cache_at(url)
    FallbackRedisCache.down_until = 0.0
    with broker_at(url):
        yield url
    FallbackRedisCache.down_until = 0.0
    outbox._broker_down_until = 0.0


class OwnRedis:
    """A throwaway redis-server on a free loopback port, started and stopped by the test."""

    def __init__(self, folder: Path, *, persistent: bool = False) -> None:
        self.port = free_port()
        self.folder = folder
        # Persistent: an append-only file, as production runs it (docker-compose.yml), so that
        # queued tasks outlive a restart.
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server") or "redis-server"
        options = {
            "port": self.port,
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "yes" if self.persistent else "no",
            "appendfsync": "always",
        }
        command = [server, "--dir", str(self.folder)]
        for name, value in options.items():
            command += [f"--{name}", str(value)]
        self.process = subprocess.Popen(  # noqa: S603 - Debian's redis-server
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = OwnRedis(tmp_path)
    yield redis
    redis.stop()


@pytest.fixture
def signing_key(settings, tmp_path: Path) -> Path:
    from certificates import keys

    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    yield settings.SIGNING_KEYS_DIR
    keys.clear_caches()


@pytest.fixture
def make_application(alice, eic_mumbai) -> Callable[..., object]:
    def make(**kwargs: object):
        kwargs.setdefault("exporter", alice)
        kwargs.setdefault("office", eic_mumbai)
        return submitted_application(**kwargs)

    return make


def timed(call: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started
