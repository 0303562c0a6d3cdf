"""Back up and restore the portal's state: the PostgreSQL database and every stored file.

    bin/backup DIR     pg_dump (custom format) into DIR/database.dump, every stored file
                       (documents, certificate PDFs) into DIR/files/, and DIR/manifest.json
                       with each file's SHA-256
    bin/restore DIR    into an empty (or absent: it is created) database and an empty (or
                       absent: it is created) bucket: pg_restore, then every file back under its
                       own name, each checked against the manifest first and against the
                       register after; then the verification answers Redis keeps are dropped

Both read the deployment's own settings (DATABASE_URL or DATABASE_URL_FILE, S3_*), so they run
wherever the portal runs (`docker-compose run --rm web1 bin/backup /backup`). The signing keys
are not in either place, on purpose: see "Backup and restore" in the README.

Encrypted (issue 27): with BACKUP_KEY (or BACKUP_KEY_FILE, a Fernet key:
`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)
the dump and every file are written encrypted and authenticated (Fernet, in chunks of 16 MiB,
one token a line); the manifest's hashes are of the encrypted bytes, so a changed file is
refused before anything is decrypted. With DEBUG=0 a backup without a key is refused. The
folder is created 0700 and every file in it 0600.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.core.files.storage import Storage

MANIFEST = "manifest.json"
CHUNK = 16 * 1024 * 1024
DUMP = "database.dump"
FILES = "files"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Database:
    name: str
    env: dict[str, str]  # libpq's PG* variables: the password never on a command line

    @classmethod
    def from_settings(cls) -> Database:
        from django.conf import settings

        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            raise BackupError("bin/backup and bin/restore need PostgreSQL (DATABASE_URL)")
        # pg_dump and pg_restore inherit this process's environment (PATH, locale), plus
        # libpq's variables from the settings.
        env = {**os.environ, "PGDATABASE": db["NAME"]}
        for key, variable in (
            ("HOST", "PGHOST"),
            ("PORT", "PGPORT"),
            ("USER", "PGUSER"),
            ("PASSWORD", "PGPASSWORD"),
        ):
            if db.get(key):
                env[variable] = str(db[key])
        return cls(name=db["NAME"], env=env)

    def run(self, *command: str, database: str | None = None) -> None:
        env = {**self.env, "PGDATABASE": database or self.name}
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode:
            raise BackupError(f"{command[0]} failed: {completed.stderr.strip()}")

    def ensure_empty(self) -> None:
        """Create the database if it is absent; refuse one that holds tables already."""
        import psycopg2

        params = {
            "dbname": "postgres",
            "host": self.env.get("PGHOST"),
            "port": self.env.get("PGPORT"),
            "user": self.env.get("PGUSER"),
            "password": self.env.get("PGPASSWORD"),
        }
        connection = psycopg2.connect(**{k: v for k, v in params.items() if v})
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
                if cursor.fetchone() is None:
                    # An identifier cannot be bound; the name comes from our own settings.
                    cursor.execute(f'CREATE DATABASE "{self.name}"')
                    return
        finally:
            connection.close()
        params["dbname"] = self.name
        connection = psycopg2.connect(**{k: v for k, v in params.items() if v})
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN "
                    "('pg_catalog', 'information_schema')"
                )
                if cursor.fetchone()[0]:
                    raise BackupError(
                        f"database {self.name} is not empty: restore only into an empty one"
                    )
        finally:
            connection.close()


def _fernet() -> Any:
    from cryptography.fernet import Fernet
    from django.conf import settings

    if not settings.BACKUP_KEY:
        return None
    try:
        return Fernet(settings.BACKUP_KEY.encode())
    except ValueError as exc:
        raise BackupError("BACKUP_KEY is not a Fernet key (32 bytes, url-safe base64)") from exc


def _encrypt(path: Path, fernet: Any) -> None:
    """Replace `path` by its encryption: one Fernet token per CHUNK, one token a line."""
    encrypted = path.with_name(path.name + ".tmp")
    with path.open("rb") as plain, encrypted.open("wb") as out:
        while chunk := plain.read(CHUNK):
            out.write(fernet.encrypt(chunk) + b"\n")
    encrypted.replace(path)


def _decrypt(path: Path, target: Path, fernet: Any) -> Path:
    from cryptography.fernet import InvalidToken

    with path.open("rb") as tokens, target.open("wb") as out:
        for line in tokens:
            try:
                out.write(fernet.decrypt(line.strip()))
            except InvalidToken as exc:
                raise BackupError(f"{path.name} cannot be decrypted with BACKUP_KEY") from exc
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(storage: Any, folder: str = "") -> list[str]:
    folders, files = storage.listdir(folder)
    names = [f"{folder}{name}" for name in files]
    for sub in folders:
        names += _walk(storage, f"{folder}{sub}/")
    return sorted(names)


def _storage() -> Storage:
    from django.core.files.storage import default_storage

    return default_storage


def _bucket_ensure() -> None:
    """With S3, create the bucket when it is absent (a restore onto new storage)."""
    from botocore.exceptions import ClientError

    storage = _storage()
    bucket = getattr(storage, "bucket", None)
    if bucket is None:
        return
    client = storage.connection.meta.client  # type: ignore[attr-defined]  # an S3 storage (it has a bucket)
    try:
        client.head_bucket(Bucket=bucket.name)
    except ClientError:
        client.create_bucket(Bucket=bucket.name)
    # As create_bucket makes it: a replaced or deleted object stays recoverable.
    client.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    if client.get_bucket_versioning(Bucket=bucket.name).get("Status") != "Enabled":
        raise BackupError(f"the bucket {bucket.name} does not keep versions")


def backup(destination: Path) -> dict[str, Any]:
    from django.conf import settings

    fernet = _fernet()
    if fernet is None and not settings.DEBUG:
        raise BackupError("set BACKUP_KEY_FILE: with DEBUG=0 backups are written encrypted")
    os.umask(0o077)  # the folder 0700, every file 0600
    destination.mkdir(parents=True, exist_ok=False, mode=0o700)
    database = Database.from_settings()
    dump = destination / DUMP
    database.run("pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={dump}")
    storage = _storage()
    files = []
    for name in _walk(storage):
        target = destination / FILES / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(name, "rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
        if fernet is not None:
            _encrypt(target, fernet)
        files.append({"name": name, "sha256": _sha256(target), "size": target.stat().st_size})
    if fernet is not None:
        _encrypt(dump, fernet)
    manifest = {
        "encrypted": fernet is not None,
        "database": {"file": DUMP, "sha256": _sha256(dump)},
        "files": files,
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def restore(source: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    dump = source / manifest["database"]["file"]
    if _sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump} does not match the manifest's SHA-256")
    for entry in manifest["files"]:
        if _sha256(source / FILES / entry["name"]) != entry["sha256"]:
            raise BackupError(f"{entry['name']} in the backup does not match the manifest")
    fernet = _fernet() if manifest.get("encrypted") else None
    if manifest.get("encrypted") and fernet is None:
        raise BackupError("the backup is encrypted: set BACKUP_KEY_FILE to its key")
    os.umask(0o077)
    work = Path(tempfile.mkdtemp(prefix="coo-restore-"))
    try:
        if fernet is not None:
            dump = _decrypt(dump, work / DUMP, fernet)
        _restore(source, manifest, dump, work, fernet)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return manifest


def _restore(source: Path, manifest: dict[str, Any], dump: Path, work: Path, fernet: Any) -> None:
    database = Database.from_settings()
    database.ensure_empty()
    database.run(
        "pg_restore",
        "--no-owner",
        "--no-acl",
        "--exit-on-error",
        f"--dbname={database.name}",
        str(dump),
    )
    from django.core.files import File

    _bucket_ensure()
    storage = _storage()
    for entry in manifest["files"]:
        name = entry["name"]
        if storage.exists(name):
            raise BackupError(f"{name} is in the storage already: restore into an empty one")
        path = source / FILES / name
        if fernet is not None:
            path = _decrypt(path, work / "file", fernet)
        with path.open("rb") as fh:
            stored = storage.save(name, File(fh, name=name))
        if stored != name:
            raise BackupError(f"{name} was stored as {stored}")
    _register_check()
    _verification_answers_drop()


def _register_check() -> None:
    """Every document and certificate the restored register names is there, byte for byte."""
    from applications.models import Document
    from certificates.models import Certificate
    from core.storage import open_verified

    for model, field in ((Document, "file"), (Certificate, "pdf")):
        for row in model.objects.only(field, "sha256").iterator():
            with open_verified(getattr(row, field), sha256=row.sha256):
                pass


def _verification_answers_drop() -> None:
    """The answers Redis keeps describe the register as it was before the restore."""
    from certificates.models import Certificate
    from verification import store

    for number in Certificate.objects.values_list("number", flat=True).iterator():
        store.forget(number)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Back up or restore the COO Portal's state.")
    parser.add_argument("action", choices=["backup", "restore"])
    parser.add_argument("folder", type=Path)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coo_portal.settings")
    import django

    django.setup()
    try:
        if options.action == "backup":
            manifest = backup(options.folder)
            print(f"backed up the database and {len(manifest['files'])} files to {options.folder}")
        else:
            manifest = restore(options.folder)
            print(f"restored the database and {len(manifest['files'])} files from {options.folder}")
    except BackupError as exc:
        print(f"{options.action} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
