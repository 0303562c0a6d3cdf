"""Email and SMS to people, always after the surrounding transaction commits.

Emails are templates in triplets under templates/emails/: <name>_subject.txt, <name>.txt and
<name>.html. They are rendered here (so a task carries plain strings) and written to the
outbox (core/durable/outbox.py) in the caller's transaction: a transaction that rolls back sends
nothing, and one that commits while the broker is down sends when it is back.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from core.durable.models import OutboxMessage
from core.durable.outbox import outbox_enqueue
from core.english import in_english


def _context(extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        **extra,
    }


@in_english  # emails and SMS are English for now (issue 33): whoever's request sends them
def email_send(*, to: str | list[str], template: str, context: dict[str, Any]) -> OutboxMessage:
    ctx = _context(context)
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", ctx).split())
    text = render_to_string(f"emails/{template}.txt", ctx)
    html = render_to_string(f"emails/{template}.html", ctx)
    recipients = [to] if isinstance(to, str) else list(to)
    return outbox_enqueue(task="accounts.send_email", args=[recipients, subject, text, html])


@in_english
def sms_send(*, to: str, template: str, context: dict[str, Any]) -> OutboxMessage:
    body = " ".join(render_to_string(f"sms/{template}.txt", _context(context)).split())
    return outbox_enqueue(task="accounts.send_sms", args=[to, body])
