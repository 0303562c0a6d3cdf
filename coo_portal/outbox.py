"""Reads the development outbox: emails and SMS written under var/ by the file backends."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class OutboxMessage:
    channel: str  # "email" or "sms"
    sent_at: datetime
    to: str
    subject: str
    body: str


def _emails(folder: Path) -> list[OutboxMessage]:
    messages = []
    for path in folder.glob("*.log"):
        # The file backend writes one or more messages per file, separated by a line of dashes.
        for chunk in path.read_text(errors="replace").split("-" * 79):
            chunk = chunk.strip()
            if not chunk:
                continue
            msg = email.message_from_string(chunk, policy=email.policy.default)
            part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
            body = part.get_content() if part is not None else ""
            messages.append(
                OutboxMessage(
                    channel="email",
                    sent_at=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
                    to=str(msg.get("To", "")),
                    subject=str(msg.get("Subject", "")),
                    body=body,
                )
            )
    return messages


def _sms(folder: Path) -> list[OutboxMessage]:
    messages = []
    for path in folder.glob("*.txt"):
        to, _, body = path.read_text(errors="replace").partition("\n\n")
        messages.append(
            OutboxMessage(
                channel="sms",
                sent_at=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
                to=to.removeprefix("To: ").strip(),
                subject="SMS",
                body=body.strip(),
            )
        )
    return messages


def read_outbox(limit: int = 200) -> list[OutboxMessage]:
    """Newest first."""
    found: list[OutboxMessage] = []
    mail_dir = Path(getattr(settings, "EMAIL_FILE_PATH", "") or settings.VAR_DIR / "mail")
    if mail_dir.is_dir():
        found += _emails(mail_dir)
    if Path(settings.SMS_FILE_PATH).is_dir():
        found += _sms(Path(settings.SMS_FILE_PATH))
    found.sort(key=lambda m: m.sent_at, reverse=True)
    return found[:limit]
