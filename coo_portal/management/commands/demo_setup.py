"""python manage.py demo_setup: the embedded default's first-run steps, in one process.

`make run` used to start Django four times (migrate, seed_reference, init_signing_keys,
seed_demo); every start imports the whole portal (PDF signing, fonts, the API's schemas),
several seconds each on a busy machine. Here Django starts once and runs the four commands
in turn, saying which step it is on and how long each took. DEBUG only: init_signing_keys
and seed_demo refuse otherwise."""

from __future__ import annotations

import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

STEPS: tuple[tuple[str, dict[str, Any], str], ...] = (
    ("migrate", {"interactive": False}, "the database (SQLite under var/)"),
    ("seed_reference", {}, "agreements, agencies, HS codes, countries, fees"),
    ("init_signing_keys", {}, "development signing keys (var/keys/)"),
    ("seed_demo", {}, "demo firm, members, agent, officer"),
)


class Command(BaseCommand):
    help = "Migrate and load the reference data, signing keys and demo accounts (DEBUG only)."
    requires_system_checks: list[str] = []  # the keys the checks look for come in step 3

    def handle(self, *args: Any, **options: Any) -> None:
        for number, (name, kwargs, what) in enumerate(STEPS, start=1):
            self.stdout.write(f"== [{number}/{len(STEPS)}] {name}: {what}")
            self.stdout.flush()
            started = time.monotonic()
            call_command(name, stdout=self.stdout, stderr=self.stderr, **kwargs)
            self.stdout.write(f"   {name} took {time.monotonic() - started:.1f} s")
            self.stdout.flush()
