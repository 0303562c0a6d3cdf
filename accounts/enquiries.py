"""Requests whose answer must not tell what the registry holds: registration and password
reset.

The view hands the request to a task and answers at once, the same words in the same time
whether the IEC is registered, unknown, or its email and mobile do not match: the registry is
read, and any email or SMS sent, by the worker. (The embedded default runs tasks in-process,
so only a deployment with a worker gets the constant time; the answer is uniform everywhere.)

The tasks live here rather than in accounts.tasks because they call accounts.services, which
sends through accounts.tasks; apps.py imports this module so workers register them.
"""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from . import agents, services

TRANSIENT = (OSError, TimeoutError)


@shared_task(
    name="accounts.registration_request",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def registration_request_task(iec: str, email: str, mobile: str) -> None:
    services.registration_request_match(iec=iec, email=email, mobile=mobile)


@shared_task(
    name="accounts.password_reset_request",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def password_reset_request_task(iec: str) -> None:
    services.password_reset_send(iec=iec)


@shared_task(
    name="accounts.agent_registration_request",
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
)
def agent_registration_request_task(details: dict[str, str]) -> None:
    agents.agent_register_request(details=agents.AgentDetails(**details))


def agent_registration_request(*, details: agents.AgentDetails) -> None:
    """Queue an agent's registration; the licence number is looked up by the task only."""
    payload = dict(vars(details))
    transaction.on_commit(lambda: agent_registration_request_task.delay(payload))


def registration_request(*, iec: str, email: str, mobile: str) -> None:
    """Queue the registry check for a registration form; nothing is read here."""
    transaction.on_commit(lambda: registration_request_task.delay(iec, email, mobile))


def password_reset_request(*, iec: str) -> None:
    """Queue the reset link for an IEC, registered or not; nothing is read here."""
    transaction.on_commit(lambda: password_reset_request_task.delay(iec))
