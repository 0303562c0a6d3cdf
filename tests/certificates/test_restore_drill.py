"""Acceptance 3 (issue 19), the restore drill: issue certificates, run bin/backup, drop the
database and the bucket, run bin/restore, and find every application, certificate number, the
next number, every PDF hash and every verification answer unchanged; the next certificate
follows the last one without a gap or a repeat.

The scripts run as an operator runs them (subprocesses with the deployment's settings) against
this test's PostgreSQL database and an S3 server on loopback (moto's, in a thread).
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import boto3
import psycopg2
import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.urls import reverse
from moto.server import ThreadedMotoServer

from applications.models import Application, Document
from certificates.models import Certificate, CertificateCounter
from tests import factories
from tests.factories import document_stored
from tests.foundation.test_object_storage import PDF

from .factories import application_under_review, issued_certificate

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "coo-drill"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"
    ),
    pytest.mark.django_db(transaction=True),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3(settings):
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "drill", "aws_secret_access_key": "drill-secret"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=BUCKET)
    settings.AWS_STORAGE_BUCKET_NAME = BUCKET
    settings.AWS_S3_ENDPOINT_URL = endpoint
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_ACCESS_KEY_ID = credentials["aws_access_key_id"]
    settings.AWS_SECRET_ACCESS_KEY = credentials["aws_secret_access_key"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "core.s3.PrivateS3Storage"},
    }
    env = {
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_ADDRESSING_STYLE": "path",
        "S3_ACCESS_KEY_ID": credentials["aws_access_key_id"],
        "S3_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
        # Backups are encrypted (issue 27): with DEBUG=0 a backup without a key is refused.
        "BACKUP_KEY": Fernet.generate_key().decode(),
    }
    yield client, env
    server.stop()


def database_url() -> str:
    """The URL of this test's own database (pytest-django's test_ copy)."""
    db = connection.settings_dict
    netloc = f"{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@{db['HOST']}"
    return f"postgres://{netloc}:{db['PORT'] or 5432}/{db['NAME']}"


def script(name: str, folder: Path, env: dict[str, str]) -> str:
    completed = subprocess.run(  # noqa: S603 - our own scripts
        [str(ROOT / "bin" / name), str(folder)],
        env={**os.environ, **env, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def drop_database() -> None:
    connections.close_all()
    parts = urlsplit(database_url())
    admin = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE "{parts.path.lstrip("/")}" WITH (FORCE)')
    finally:
        admin.close()


def drop_bucket(client) -> None:
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def state(client, http) -> dict:
    """What must survive: the register, the counters, the stored bytes, the public answers."""
    certificates = list(
        Certificate.objects.order_by("number").values_list(
            "number", "sha256", "status", "verification_code", "pdf"
        )
    )
    answers = {}
    for number, _, _, code, _ in certificates:
        url = reverse("verification:api-certificate", kwargs={"number": number})
        response = http.get(f"{url}?{urlencode({'code': code})}")
        answers[number] = (response.status_code, response.json())
    return {
        "applications": list(
            Application.objects.order_by("reference").values_list("reference", "status")
        ),
        "certificates": certificates,
        "counters": list(CertificateCounter.objects.values_list("office__code", "year", "last")),
        "documents": list(Document.objects.order_by("pk").values_list("file", "sha256")),
        "stored": {
            key: hashlib.sha256(
                client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            ).hexdigest()
            for key in [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
        },
        "answers": answers,
    }


def test_a_restore_from_backup_brings_back_every_row_number_hash_and_answer(
    s3, tmp_path, client, alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks
):
    bucket, env = s3
    issued = []
    for _ in range(3):
        application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
        issued.append(issued_certificate(application, django_capture_on_commit_callbacks))
    draft = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
    document_stored(
        application_id=draft.pk,
        exporter=alice,
        kind="commercial_invoice",
        upload=SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf"),
    )
    before = state(bucket, client)
    assert len(before["certificates"]) == 3
    assert len(before["stored"]) == 4  # three PDFs and the invoice
    assert {number: status for number, (status, _) in before["answers"].items()} == {
        c.number: 200 for c in issued
    }
    assert all(before["stored"][pdf] == sha for _, sha, _, _, pdf in before["certificates"])

    backup = tmp_path / "backup"
    assert "4 files" in script("backup", backup, env)
    # Encrypted, and readable by the operator alone.
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    written = [p for p in backup.rglob("*") if p.is_file()]
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}
    assert not any(b"%PDF" in p.read_bytes() or b"PGDMP" in p.read_bytes() for p in written)
    drop_database()
    drop_bucket(bucket)
    assert BUCKET not in [b["Name"] for b in bucket.list_buckets()["Buckets"]]

    assert "4 files" in script("restore", backup, env)

    assert state(bucket, client) == before
    # The restored bucket keeps versions, as create_bucket makes it.
    assert bucket.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    last = max(c.sequence for c in issued)
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    following = issued_certificate(application, django_capture_on_commit_callbacks)
    assert following.sequence == last + 1
    assert following.number == issued[-1].number.rsplit("/", 1)[0] + f"/{last + 1:07d}"


def test_a_backup_without_a_key_is_refused_with_debug_off(s3, tmp_path, alice):
    _, env = s3
    completed = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "bin" / "backup"), str(tmp_path / "backup")],
        env={**os.environ, **env, "BACKUP_KEY": "", "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "BACKUP_KEY_FILE" in completed.stderr
    assert not (tmp_path / "backup").exists()


def test_a_restore_refuses_a_database_that_is_not_empty(s3, tmp_path, alice):
    _, env = s3
    backup = tmp_path / "backup"
    script("backup", backup, env)
    completed = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "bin" / "restore"), str(backup)],
        env={**os.environ, **env, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "is not empty" in completed.stderr


def test_a_restore_refuses_a_backup_file_that_was_changed(s3, tmp_path, alice):
    _, env = s3
    backup = tmp_path / "backup"
    script("backup", backup, env)
    with (backup / "database.dump").open("ab") as dump:
        dump.write(b"tampered")
    completed = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "bin" / "restore"), str(backup)],
        env={**os.environ, **env, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1
    assert "does not match the manifest" in completed.stderr  # checked before anything else
