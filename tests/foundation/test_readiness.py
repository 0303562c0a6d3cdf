"""Issue 27: /readyz tells the truth. Each part the installation uses is asked directly and a
failing one is named in a JSON 503 that says nothing secret; /healthz stays liveness only."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from coo_portal import checks, heartbeat, readiness
from tests.resilience.conftest import OwnRedis, free_port

from .mocked_s3 import mocked_s3

BUCKET = "coo-ready"


@pytest.fixture
def redis_server(tmp_path: Path, settings) -> Iterator[OwnRedis]:
    """A Redis of the test's own, used by the cache, the heartbeats and readiness."""
    server = OwnRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.CACHE_KEY_PREFIX = "ready-test"
    settings.READINESS_CHECKS_WORKERS = True
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.FallbackRedisCache",
            "LOCATION": server.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "fallback": settings.CACHES["fallback"],
    }
    yield server
    server.stop()


def ready(client) -> tuple[int, dict]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def alive_everywhere() -> None:
    heartbeat.beat("worker1@node", "worker")
    heartbeat.beat("beat@node", "beat")


@pytest.mark.django_db
def test_a_redis_that_stops_makes_readiness_fail_although_the_cache_falls_back(
    client, redis_server
):
    alive_everywhere()
    assert ready(client) == (200, ready(client)[1])
    redis_server.stop()
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["redis"] == "unreachable"
    assert "redis" in body["failing"]
    assert redis_server.url not in json.dumps(body)


@pytest.mark.django_db
def test_workers_without_a_fresh_heartbeat_are_named(client, redis_server, settings):
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["workers"] == "no worker heartbeat; no beat heartbeat"

    heartbeat.beat("worker1@node", "worker", now=time.time() - settings.HEARTBEAT_STALE_SECONDS - 1)
    heartbeat.beat("beat@node", "beat")
    assert ready(client)[1]["checks"]["workers"] == "no worker heartbeat"

    heartbeat.beat("worker1@node", "worker")
    status, body = ready(client)
    assert status == 200
    assert body["checks"]["workers"] == "ok"


@pytest.mark.django_db
def test_a_worker_with_another_configuration_is_named(client, redis_server, settings):
    settings.SITE_URL = "https://coo.example.gov.in"
    alive_everywhere()
    settings.SITE_URL = "https://elsewhere.example"
    heartbeat.beat("worker2@other", "worker")
    settings.SITE_URL = "https://coo.example.gov.in"
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["workers"] == "configuration differs on worker2@other"
    assert "elsewhere" not in json.dumps(body)


def test_the_fingerprint_follows_site_url_keys_and_trust_roots(settings, tmp_path):
    root = tmp_path / "root.pem"
    root.write_text("one")
    settings.SIGNING_TRUST_ROOTS = [str(root)]
    first = heartbeat.config_fingerprint()
    root.write_text("two")
    assert heartbeat.config_fingerprint() != first
    second = heartbeat.config_fingerprint()
    settings.SITE_URL = "https://other.example"
    assert heartbeat.config_fingerprint() != second


@pytest.fixture
def bucket(settings) -> Iterator:
    with mocked_s3(settings, BUCKET) as s3:
        yield s3


@pytest.mark.django_db
def test_a_missing_bucket_then_an_unversioned_one_fails_readiness(client, bucket):
    status, body = ready(client)
    assert (status, body["checks"]["bucket"]) == (503, "missing")
    bucket.create_bucket(Bucket=BUCKET)
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["bucket"].startswith("versioning is off")
    bucket.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    status, body = ready(client)
    assert (status, body["checks"]["bucket"]) == (200, "ok")


@pytest.mark.django_db
def test_static_files_not_collected_fail_readiness(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    status, body = ready(client)
    assert status == 503
    assert body["checks"]["static"] == "manifest missing (collectstatic was not run)"
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "staticfiles.json").write_text('{"paths": {}, "version": "1.1"}')
    assert ready(client)[0] == 200


@pytest.mark.django_db
def test_a_tsa_that_answers_nothing_fails_readiness_and_the_probe_is_cached(
    client, settings, monkeypatch
):
    settings.TSA_URL = f"http://127.0.0.1:{free_port()}/tsa"
    settings.TSA_DISABLED = False
    monkeypatch.setattr(readiness._TsaProbe, "checked_at", -1e9)
    status, body = ready(client)
    assert (status, body["checks"]["tsa"]) == (503, "no timestamp")
    assert settings.TSA_URL not in json.dumps(body)
    # Within TSA_PROBE_SECONDS the answer is the kept one: the TSA is not asked again.
    monkeypatch.setattr(readiness._TsaProbe, "answer", "ok")
    assert ready(client)[1]["checks"]["tsa"] == "ok"


@pytest.mark.django_db
def test_healthz_stays_liveness_only_while_readiness_fails(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "nothing"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_create_bucket_makes_a_versioned_bucket_that_readiness_and_the_deploy_check_accept(
    client, bucket
):
    assert [e.id for e in checks.bucket_check()] == ["coo_portal.E004"]
    bucket.create_bucket(Bucket=BUCKET)
    assert [e.id for e in checks.bucket_check()] == ["coo_portal.E005"]
    out = io.StringIO()
    call_command("create_bucket", stdout=out)
    call_command("create_bucket", stdout=out)  # again: nothing changes
    assert "private, versioning Enabled" in out.getvalue()
    assert bucket.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    assert checks.bucket_check() == []
    assert ready(client)[1]["checks"]["bucket"] == "ok"


def test_the_operations_settings_are_checked(settings, tmp_path):
    settings.HEARTBEAT_SECONDS, settings.HEARTBEAT_STALE_SECONDS = 60, 90
    settings.METRICS_TOKEN = "short"
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path / "absent")
    settings.BACKUP_KEY = "not-a-key"
    ids = [e.id for e in checks.operations_settings_check()]
    assert ids == ["coo_portal.E001", "coo_portal.E002", "coo_portal.E003", "coo_portal.E006"]
    settings.HEARTBEAT_STALE_SECONDS = 180
    settings.METRICS_TOKEN = "x" * 32
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    settings.BACKUP_KEY = Fernet.generate_key().decode()
    assert checks.operations_settings_check() == []
