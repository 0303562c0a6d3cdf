"""python manage.py create_platform_admin USERNAME --email E

The first administrator of an installation (a superuser, role operator). The password comes
from PLATFORM_ADMIN_PASSWORD (or PLATFORM_ADMIN_PASSWORD_FILE) or is asked for; the command
prints the otpauth:// URI of the administrator's authenticator (TOTP) device."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.management.prompts import ask_password
from accounts.services import AccountError, platform_admin_create


class Command(BaseCommand):
    help = "Create the platform administrator (superuser) with a TOTP device."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.PLATFORM_ADMIN_PASSWORD or ask_password()
        try:
            _, device = platform_admin_create(
                username=options["username"], email=options["email"], password=password
            )
        except (AccountError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Platform administrator {options['username']}."))
        self.stdout.write("Add this to the administrator's authenticator app:")
        self.stdout.write(device.config_url)
