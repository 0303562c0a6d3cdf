"""python manage.py create_officer USERNAME --email E --agency CODE --office CODE

The password comes from OFFICER_PASSWORD or is asked for; the command prints the otpauth://
URI of the officer's new authenticator (TOTP) device.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.admin_scope import AGENCY_ADMIN_PERMISSIONS
from accounts.management.prompts import ask_password
from accounts.models import User
from accounts.services import AccountError, officer_create


class Command(BaseCommand):
    help = "Create an officer of an issuing agency office, with a TOTP device."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--agency", required=True, help="Agency code, e.g. EIC")
        parser.add_argument("--office", required=True, help="Office code, e.g. MUM")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--agency-admin",
            action="store_true",
            help="Make an agency administrator (staff) instead of an officer.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = settings.OFFICER_PASSWORD or ask_password()
        try:
            user, device = officer_create(
                username=options["username"],
                email=options["email"],
                password=password,
                agency_code=options["agency"],
                office_code=options["office"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                role=User.Role.AGENCY_ADMIN if options["agency_admin"] else User.Role.OFFICER,
            )
        except (AccountError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from exc
        if options["agency_admin"]:
            # The same narrow set as seed_demo's administrator (accounts.admin_scope).
            user.user_permissions.set(
                Permission.objects.filter(codename__in=AGENCY_ADMIN_PERMISSIONS)
            )
        self.stdout.write(self.style.SUCCESS(f"Officer {options['username']} created."))
        self.stdout.write(
            "Add this to the officer's authenticator app (or scan the QR code in admin):"
        )
        self.stdout.write(device.config_url)
