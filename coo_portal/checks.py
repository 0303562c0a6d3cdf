"""System checks of the operations settings (issue 27), and the bucket at `check --deploy`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, register
from django.core.files.storage import default_storage


@register()
def operations_settings_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    if settings.HEARTBEAT_STALE_SECONDS < 2 * settings.HEARTBEAT_SECONDS:
        errors.append(
            Error(
                "HEARTBEAT_STALE_SECONDS must be at least twice HEARTBEAT_SECONDS: one late "
                "heartbeat would make every node unready.",
                id="coo_portal.E001",
            )
        )
    if settings.METRICS_TOKEN and len(settings.METRICS_TOKEN) < 32:
        errors.append(
            Error(
                "METRICS_TOKEN is shorter than 32 characters.",
                hint="python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                id="coo_portal.E002",
            )
        )
    folder = settings.PROMETHEUS_MULTIPROC_DIR
    if folder and not (Path(folder).is_dir() and os.access(folder, os.W_OK)):
        errors.append(
            Error(
                f"PROMETHEUS_MULTIPROC_DIR={folder} is not a writable folder.",
                hint="Create it empty before gunicorn starts (docker-compose.yml uses a tmpfs).",
                id="coo_portal.E003",
            )
        )
    if settings.BACKUP_KEY:
        try:
            Fernet(settings.BACKUP_KEY.encode())
        except ValueError:
            errors.append(
                Error(
                    "BACKUP_KEY is not a Fernet key (32 bytes, url-safe base64).",
                    hint="python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())' > secrets/backup_key",
                    id="coo_portal.E006",
                )
            )
    return errors


@register(deploy=True)
def bucket_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """`check --deploy`: the bucket exists and keeps versions (manage.py create_bucket)."""
    if not settings.AWS_STORAGE_BUCKET_NAME:
        return []
    client = default_storage.connection.meta.client  # type: ignore[attr-defined]
    name = settings.AWS_STORAGE_BUCKET_NAME
    try:
        client.head_bucket(Bucket=name)
        versioning = client.get_bucket_versioning(Bucket=name).get("Status")
    except (ClientError, BotoCoreError) as exc:
        return [
            Error(
                f"The bucket {name} cannot be reached or does not exist ({exc}).",
                hint="Run `manage.py create_bucket` (docs/operations.md, The bucket).",
                id="coo_portal.E004",
            )
        ]
    if versioning != "Enabled":
        return [
            Error(
                f"The bucket {name} does not keep versions: a replaced or deleted object "
                "could not be recovered.",
                hint="Run `manage.py create_bucket`, which turns versioning on.",
                id="coo_portal.E005",
            )
        ]
    return []
