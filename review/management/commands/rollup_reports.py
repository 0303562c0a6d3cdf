"""Rebuild the reports' daily roll-ups (review/rollups.py: applications received and decided,
review steps, fees, lookups): after a bulk load, a restore, a deploy that added one, or to
check them. `--days N` (default 3) rebuilds the last N days; `--since DATE` every day from
DATE. Today is never rebuilt: its rows are being added to."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from review.rollups import rollups_rebuild


class Command(BaseCommand):
    help = "Rebuild the reports' daily roll-ups from the raw rows."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=3, help="the last N days (default 3)")
        parser.add_argument("--since", type=date.fromisoformat, help="every day from DATE")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        since = options["since"] or today - timedelta(days=options["days"])
        if since > today:
            raise CommandError("--since is in the future.")
        # A month at a time: each its own transaction, so a long rebuild holds no lock for long.
        written, start = 0, since
        while start < today:
            end = min(start + timedelta(days=31), today)
            written += rollups_rebuild(since=start, until=end)
            start = end
        self.stdout.write(f"Rolled up {since}..{today - timedelta(days=1)}: {written} rows.")
