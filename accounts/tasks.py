"""Delivery tasks: thin adapters that send one already-rendered message, retrying transient
failures. Enqueue them through accounts.notifications, which waits for the commit."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from .sms import send_sms

TRANSIENT = (OSError, TimeoutError)


@shared_task(
    name="accounts.send_email",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def send_email_task(to: list[str], subject: str, text: str, html: str | None = None) -> None:
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@shared_task(
    name="accounts.send_sms",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=6,
)
def send_sms_task(to: str, body: str) -> None:
    send_sms(to=to, body=body)
