from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from . import checks, enquiries, signals  # noqa: F401 - registers the check and tasks

        signals.connect()
