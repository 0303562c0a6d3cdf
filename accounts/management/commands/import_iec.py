"""python manage.py import_iec FILE.csv: load or update the IEC registry, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import IEC_HEADER, iec_records_import


class Command(BaseCommand):
    help = f"Import IEC records from a CSV file with the header {','.join(IEC_HEADER)}."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, file: Path, **options: Any) -> None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        result = iec_records_import(text=text)
        if result.errors:
            for error in result.errors:
                self.stderr.write(error)
            raise CommandError(f"{len(result.errors)} error(s) in {file}; nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {file}: {result.created} created, {result.updated} updated."
            )
        )
