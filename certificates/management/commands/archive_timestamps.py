"""Add archive timestamps now to the certificates that need one (what celery beat does every
ARCHIVE_TIMESTAMP_SECONDS), or list them with --dry-run."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from certificates.archive import archive_horizon, archive_timestamps_run, certificates_archive_due


class Command(BaseCommand):
    help = (
        "Re-timestamp (fresh revocation data, new document timestamp) every certificate whose "
        "newest timestamp's TSA certificate expires within ARCHIVE_TIMESTAMP_HORIZON_DAYS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list what would be renewed, change nothing"
        )
        parser.add_argument("--limit", type=int, default=None, help="at most this many")

    def handle(self, *args: Any, **options: Any) -> None:
        due = certificates_archive_due()
        if options["dry_run"]:
            rows = list(due.values_list("number", "offline_until")[: options["limit"]])
            for number, until in rows:
                if until is None:
                    self.stdout.write(f"{number}: no document timestamp yet (PAdES B-LT)")
                else:
                    self.stdout.write(
                        f"{number}: verifies offline until {until:%Y-%m-%d %H:%M} UTC"
                    )
            self.stdout.write(
                f"{due.count()} certificate(s) due within {archive_horizon().days} days; "
                "dry run, nothing changed."
            )
            return
        run = archive_timestamps_run(limit=options["limit"])
        for number in run.renewed:
            self.stdout.write(f"{number}: archive timestamp added")
        for number, why in run.failed.items():
            self.stderr.write(f"{number}: not renewed: {why}")
        self.stdout.write(
            f"{len(run.renewed)} renewed, {len(run.failed)} failed, {run.remaining} still due."
        )
