"""The SMS gateway: a small interface with a file backend (development), a memory backend
(tests) and an HTTP backend (production gateway). Pick one with SMS_BACKEND."""

from __future__ import annotations

import json
import logging
import secrets
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SMS:
    to: str
    body: str


class SMSBackend(Protocol):
    def send(self, message: SMS) -> None: ...


class FileSMSBackend:
    """Writes one file per message under SMS_FILE_PATH (shown on /dev/outbox/)."""

    def send(self, message: SMS) -> None:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S-%f")
        path = folder / f"{stamp}-{secrets.token_hex(4)}.txt"
        path.write_text(f"To: {message.to}\n\n{message.body}\n")


class MemorySMSBackend:
    """Keeps messages in `outbox`, like Django's locmem email backend (tests)."""

    outbox: list[SMS] = []

    def send(self, message: SMS) -> None:
        MemorySMSBackend.outbox.append(message)


class HTTPSMSBackend:
    """Posts JSON {"to", "body"} to SMS_HTTP_URL with a bearer token."""

    def send(self, message: SMS) -> None:
        if not settings.SMS_HTTP_URL.startswith("https://"):
            raise ImproperlyConfigured("SMS_HTTP_URL must be an https:// URL.")
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            settings.SMS_HTTP_URL,
            data=json.dumps({"to": message.to, "body": message.body}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_HTTP_TOKEN}",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            if response.status >= 300:
                raise OSError(f"SMS gateway answered {response.status}")


@cache
def _backend(path: str) -> SMSBackend:
    backend: SMSBackend = import_string(path)()
    return backend


def send_sms(*, to: str, body: str) -> None:
    """Send one SMS through the configured gateway. Call it from a Celery task, not a view."""
    _backend(settings.SMS_BACKEND).send(SMS(to=to, body=body))
    logger.info("sms sent to %s", to[:-4] + "****" if len(to) > 4 else "****")
