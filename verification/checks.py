"""System checks of the verification app (run with `manage.py check --database default`, as
the deploy does before migrating): a transparency log that points past missing leaves."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from .transparency import log_problems


@register(Tags.database)
def transparency_log_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if not kwargs.get("databases"):
        return []
    try:
        problems = log_problems()
    except DatabaseError:  # not migrated yet, or no database: the migrate step says so
        return []
    return [
        Error(
            problem,
            hint="Restore the log's rows from a backup; see docs/operations.md.",
            id="verification.E001",
        )
        for problem in problems
    ]
