"""What the account commands ask at the terminal."""

from __future__ import annotations

import getpass

from django.core.management.base import CommandError


def ask_password() -> str:
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("The passwords do not match.")
    return first
