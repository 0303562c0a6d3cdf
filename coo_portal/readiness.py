"""Readiness (/readyz): each part the portal needs, asked directly, with a short answer.

Every check returns "ok" or a short description of what is wrong; none says anything secret
(no URL, no password, no key). A part that this installation does not use is left out
(the embedded default has no Redis, no bucket, no TSA of its own and no workers).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable

import redis
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection

from certificates.timestamps import http_timestamper
from core.cache import redis_reachable
from verification.transparency import log_problems

from . import heartbeat

logger = logging.getLogger(__name__)

OK = "ok"


def database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def redis_ping() -> str:
    # A real PING on a connection with REDIS_SOCKET_TIMEOUT: the cache's fallback table would
    # answer a set/get while Redis is down or frozen.
    return OK if redis_reachable() is not False else "unreachable"


def bucket() -> str:
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    name = settings.AWS_STORAGE_BUCKET_NAME
    try:
        client.head_bucket(Bucket=name)
        versioning = client.get_bucket_versioning(Bucket=name).get("Status")
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        return "missing" if code in {"404", "NoSuchBucket"} else f"refused ({code})"
    if versioning != "Enabled":
        return "versioning is off (manage.py create_bucket)"
    return OK


def static_manifest() -> str:
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest is None:  # DEBUG or tests: files served from the app folders
        return OK
    if not staticfiles_storage.exists(manifest):
        return "manifest missing (collectstatic was not run)"
    return OK


class _TsaProbe:
    """The TSA asked for a real timestamp at most once per TSA_PROBE_SECONDS per process."""

    checked_at = -1e9
    answer = OK

    @classmethod
    def check(cls) -> str:
        if time.monotonic() - cls.checked_at < settings.TSA_PROBE_SECONDS:
            return cls.answer
        stamper = http_timestamper(
            url=settings.TSA_URL,
            username=settings.TSA_USERNAME,
            password=settings.TSA_PASSWORD or "",
            timeout=min(settings.TSA_TIMEOUT, 3),
        )
        digest = hashlib.sha256(b"coo-portal readiness probe").digest()
        try:
            asyncio.run(stamper.async_timestamp(digest, "sha256"))
            cls.answer = OK
        except Exception as exc:  # any failure to get a token means the TSA is not usable
            logger.warning("readyz: the TSA gave no timestamp: %r", exc)
            cls.answer = "no timestamp"
        cls.checked_at = time.monotonic()
        return cls.answer


def tsa() -> str:
    return _TsaProbe.check()


def workers() -> str:
    now = time.time()
    fresh = {
        node: record
        for node, record in heartbeat.heartbeats().items()
        if now - record["at"] <= settings.HEARTBEAT_STALE_SECONDS
    }
    problems = []
    if not any(record["role"] == "worker" for record in fresh.values()):
        problems.append("no worker heartbeat")
    if not any(record["role"] == "beat" for record in fresh.values()):
        problems.append("no beat heartbeat")
    mine = heartbeat.config_fingerprint()
    differing = sorted(node for node, record in fresh.items() if record["config"] != mine)
    if differing:
        problems.append("configuration differs on " + ", ".join(differing))
    return "; ".join(problems) or OK


def transparency_log() -> str:
    """Every agency's transparency log still stores what its next append reads: a log whose
    size points past missing leaves (a partial restore, a cascaded TRUNCATE) refuses every
    issuance, replacement and revocation until its rows are restored."""
    problems = log_problems()
    if problems:
        for problem in problems:
            logger.warning("readyz: %s", problem)
        return f"{len(problems)} log(s) point past missing leaves (see the log)"
    return OK


# Parts read from the database: not asked when the database itself does not answer.
_READ_FROM_DATABASE = frozenset({"transparency_log"})


def checks() -> dict[str, Callable[[], str]]:
    """The parts this installation uses, by name."""
    parts: dict[str, Callable[[], str]] = {
        "database": database,
        "static": static_manifest,
        "transparency_log": transparency_log,
    }
    if settings.REDIS_URL:
        parts["redis"] = redis_ping
    if settings.AWS_STORAGE_BUCKET_NAME:
        parts["bucket"] = bucket
    if settings.TSA_URL and not settings.TSA_DISABLED:
        parts["tsa"] = tsa
    if settings.REDIS_URL and settings.READINESS_CHECKS_WORKERS:
        parts["workers"] = workers
    return parts


def report() -> dict[str, str]:
    """{part: "ok" or what is wrong}. An exception is the part's failure, named by its type."""
    answers: dict[str, str] = {}
    for name, check in checks().items():
        if name in _READ_FROM_DATABASE and answers.get("database") != OK:
            continue
        try:
            answers[name] = check()
        except (DatabaseError, redis.RedisError, BotoCoreError) as exc:
            logger.warning("readyz: %s: %r", name, exc)
            answers[name] = "unreachable"
        except Exception as exc:  # a driver's error of any kind means "not ready"
            logger.warning("readyz: %s: %r", name, exc)
            answers[name] = f"failed ({type(exc).__name__})"
    return answers
