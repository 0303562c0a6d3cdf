"""Heartbeats of the Celery workers and of beat, kept in Redis for readiness (/readyz).

Each worker and beat writes, every HEARTBEAT_SECONDS from a daemon thread, one field of a Redis
hash: its node name, the time, and the fingerprint of its configuration. A web node's readiness
reads the hash: no fresh worker or beat, or a fresh node whose fingerprint differs from the web
node's own, makes it "not ready" with the node named. The fingerprint covers what a worker must
share with the web nodes for its work to be accepted: SITE_URL (in every credential and QR
code), the agencies' signing and credential keys, the trust roots and the TSA.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


def _file_digest(path: str | Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return f"unreadable:{path}"


def config_fingerprint() -> str:
    """A short hash of the configuration every node must share (no secret can be read back)."""
    parts = [f"site={settings.SITE_URL}", f"tsa={settings.TSA_URL}"]
    for suffix, spec in sorted(settings.SIGNING_P12.items()):
        parts.append(f"p12:{suffix}={_file_digest(spec['path'])}")
    for suffix, path in sorted(settings.SIGNING_VC_KEYS.items()):
        parts.append(f"vc:{suffix}={_file_digest(path)}")
    for path in sorted(settings.SIGNING_TRUST_ROOTS):
        parts.append(f"root={_file_digest(path)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _key() -> str:
    return f"{settings.CACHE_KEY_PREFIX}:heartbeats"


def client() -> redis.Redis:
    """A direct client (not the cache, whose fallback answers while Redis is down)."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )


def beat(node: str, role: str, *, now: float | None = None) -> None:
    """Record that `node` (a worker or beat) is alive now, with its configuration's hash."""
    record = {
        "role": role,
        "at": time.time() if now is None else now,
        "config": config_fingerprint(),
    }
    connection = client()
    connection.hset(_key(), node, json.dumps(record))
    # The hash outlives no installation: a node gone for a day drops out with the key.
    connection.expire(_key(), 86_400)


def heartbeats() -> dict[str, dict[str, Any]]:
    """Every node's last heartbeat: {node: {"role", "at", "config"}}."""
    raw: dict[bytes, bytes] = client().hgetall(_key())  # type: ignore[assignment]  # redis-py's sync/async union
    return {name.decode(): json.loads(value) for name, value in raw.items()}


def start(node: str, role: str) -> threading.Thread:
    """Write heartbeats from a daemon thread for as long as the process lives. A failed write
    (Redis restarting) is logged and tried again at the next beat."""

    def run() -> None:
        while True:
            try:
                beat(node, role)
            except redis.RedisError as exc:
                logger.warning("heartbeat of %s not written: %r", node, exc)
            time.sleep(settings.HEARTBEAT_SECONDS)

    thread = threading.Thread(target=run, name=f"heartbeat-{role}", daemon=True)
    thread.start()
    return thread
