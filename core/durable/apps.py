from __future__ import annotations

from django.apps import AppConfig


class DurableConfig(AppConfig):
    """State that must outlive a Redis outage: the task outbox and database-backed counters.
    Depends on nothing of ours; accounts, applications and certificates use it."""

    name = "core.durable"
    label = "durable"  # the tables, migrations and references keep the label they were made with
