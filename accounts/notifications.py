"""Email and SMS to people, always after the surrounding transaction commits.

Emails are templates in triplets under templates/emails/: <name>_subject.txt, <name>.txt and
<name>.html. They are rendered here (so a task carries plain strings) and handed to Celery with
on_commit: a transaction that rolls back sends nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from .tasks import send_email_task, send_sms_task


def _context(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        **extra,
    }


def email_send(*, to: str | list[str], template: str, context: dict[str, Any]) -> None:
    ctx = _context(context)
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    recipients = [to] if isinstance(to, str) else list(to)
    transaction.on_commit(lambda: send_email_task.delay(recipients, subject, text, html))


def sms_send(*, to: str, template: str, context: dict[str, Any]) -> None:
    body = " ".join(render_to_string(f"sms/{template}.txt", _context(context)).split())
    transaction.on_commit(lambda: send_sms_task.delay(to, body))
