"""python manage.py seed_demo: demo accounts for development (idempotent).

Accounts part: issuing agencies and offices (if seed_reference has not made them), a few IEC
records (one suspended), a registered exporter, an officer at EIC Mumbai with a fixed
development TOTP secret, EIC's agency administrator, and a customs broker (Kiran Logistics,
username `kiran`) that the registered exporter authorises for a year. Prints how to sign in.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin_scope import AGENCY_ADMIN_PERMISSIONS
from accounts.firms import authorisations_in_force
from accounts.models import (
    Agent,
    AgentAuthorisation,
    AgentStaff,
    ExporterProfile,
    FirmMember,
    FirmRole,
    IECRecord,
    OfficerProfile,
    User,
)
from reference.models import AgencyOffice, IssuingAgency

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - development only, refused when DEBUG is off
# A fixed secret so a developer can add it to an authenticator app once.
DEMO_TOTP_HEX = "3132333435363738393031323334353637383930"

AGENCIES = {
    "EIC": (
        "Export Inspection Council",
        [
            ("MUM", "EIA Mumbai", "Mumbai"),
            ("KOL", "EIA Kolkata", "Kolkata"),
            ("KOC", "EIA Kochi", "Kochi"),
            ("DEL", "EIA Delhi", "New Delhi"),
            ("CHE", "EIA Chennai", "Chennai"),
        ],
    ),
    "FIEO": ("Federation of Indian Export Organisations", [("DEL", "FIEO Delhi", "New Delhi")]),
    "MPEDA": ("Marine Products Export Development Authority", [("KOC", "MPEDA Kochi", "Kochi")]),
    "TC": ("Textiles Committee", [("MUM", "Textiles Committee Mumbai", "Mumbai")]),
}

IECS = [
    # iec, firm, address, pan, email, mobile, status
    (
        "0123456789",
        "Alice Exports Pvt Ltd",
        "14 Nariman Point, Mumbai 400021",
        "AAACA1234E",
        "alice@alice-exports.example",
        "+919812345678",
        "active",
    ),
    (
        "AABCS1429B",
        "Shakti Spices LLP",
        "22 MG Road, Kochi 682016",
        "AABCS1429B",
        "exports@shakti-spices.example",
        "+919845012345",
        "active",
    ),
    (
        "AAGCT7781K",
        "Tirupur Knits Pvt Ltd",
        "5 Avinashi Road, Tiruppur 641602",
        "AAGCT7781K",
        "coo@tirupur-knits.example",
        "+919443098765",
        "active",
    ),
    (
        "0512098765",
        "Ganga Handicrafts",
        "8 Chowk, Varanasi 221001",
        "AAFPG0512H",
        "ganga.handicrafts@example.com",
        "+919415011223",
        "active",
    ),
    (
        "AADCR5500M",
        "Ratnagiri Mango Exports",
        "3 Harbour Road, Ratnagiri 415612",
        "AADCR5500M",
        "info@ratnagiri-mango.example",
        "+919822055001",
        "suspended",
    ),
]
REGISTERED_IEC = "0123456789"
READY_IEC = "AABCS1429B"
DEMO_AGENT_LICENCE = "CB/MUM/2026/0042"
DEMO_AGENT_USERNAME = "kiran"
# The registered demo firm's people besides its administrator (accounts.members).
DEMO_MEMBERS = [
    ("priya", "Priya", "Nair", FirmRole.PREPARER, "+919820012345"),
    ("sam", "Sam", "Iyer", FirmRole.SIGNATORY, "+919820054321"),
]


class Command(BaseCommand):
    help = "Create demo accounts (idempotent) and print how to sign in."

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or getattr(settings, "TESTING", False)):
            raise CommandError(
                "seed_demo creates accounts with known passwords: run it with DEBUG=1 only."
            )
        with transaction.atomic():
            offices = self._agencies()
            self._iecs()
            self._exporter()
            self._members()
            _officer, device = self._officer(
                "officer.mumbai", "Olivia", "Rao", User.Role.OFFICER, offices["EIC", "MUM"]
            )
            self._officer(
                "admin.eic", "Ada", "Menon", User.Role.AGENCY_ADMIN, offices["EIC", "MUM"]
            )
            self._agent()
        self._print(device)

    def _agencies(self) -> dict[tuple[str, str], AgencyOffice]:
        offices = {}
        for code, (name, office_rows) in AGENCIES.items():
            agency, _ = IssuingAgency.objects.get_or_create(code=code, defaults={"name": name})
            for office_code, office_name, city in office_rows:
                office, _ = AgencyOffice.objects.get_or_create(
                    agency=agency, code=office_code, defaults={"name": office_name, "city": city}
                )
                offices[code, office_code] = office
        return offices

    def _iecs(self) -> None:
        for iec, firm, address, pan, email, mobile, status in IECS:
            IECRecord.objects.update_or_create(
                iec=iec,
                defaults={
                    "firm_name": firm,
                    "address": address,
                    "pan": pan,
                    "email": email,
                    "mobile": mobile,
                    "status": status,
                },
            )

    def _exporter(self) -> None:
        record = IECRecord.objects.get(iec=REGISTERED_IEC)
        user = _demo_user(
            REGISTERED_IEC,
            role=User.Role.EXPORTER,
            email=record.email,
            mobile=record.mobile,
            first_name=record.firm_name[:150],
        )
        now = timezone.now()
        ExporterProfile.objects.get_or_create(
            user=user,
            defaults={
                "iec_record": record,
                "email_verified_at": now,
                "mobile_verified_at": now,
                "registration_completed_at": now,
            },
        )
        FirmMember.objects.get_or_create(
            user=user, defaults={"firm": record, "role": FirmRole.ADMINISTRATOR}
        )

    def _agent(self) -> None:
        """Kiran Logistics, registered, authorised by the demo exporter's firm for a year."""
        agent, _ = Agent.objects.get_or_create(
            licence_number=DEMO_AGENT_LICENCE,
            defaults={
                "name": "Kiran Logistics",
                "kind": Agent.Kind.CUSTOMS_BROKER,
                "pan": "AAKCK4242L",
                "email": "desk@kiran-logistics.example",
                "mobile": "+919700042042",
                "status": Agent.Status.ACTIVE,
            },
        )
        user = _demo_user(
            DEMO_AGENT_USERNAME,
            role=User.Role.AGENT,
            first_name="Kiran",
            last_name="Rao",
            email=agent.email,
            mobile=agent.mobile,
        )
        now = timezone.now()
        AgentStaff.objects.get_or_create(
            user=user,
            defaults={
                "agent": agent,
                "is_administrator": True,
                "email_verified_at": now,
                "mobile_verified_at": now,
                "registration_completed_at": now,
            },
        )
        firm = IECRecord.objects.get(iec=REGISTERED_IEC)
        if not AgentAuthorisation.objects.filter(
            authorisations_in_force(now), firm=firm, agent=agent
        ).exists():
            AgentAuthorisation.objects.create(
                firm=firm,
                agent=agent,
                valid_from=now,
                valid_until=now + timedelta(days=365),
                granted_by=User.objects.get(username=REGISTERED_IEC),
            )

    def _members(self) -> None:
        """The demo firm's preparer and signatory, as if they had accepted invitations."""
        record = IECRecord.objects.get(iec=REGISTERED_IEC)
        admin = User.objects.get(username=REGISTERED_IEC)
        for username, first, last, role, mobile in DEMO_MEMBERS:
            user = _demo_user(
                username,
                role=User.Role.EXPORTER,
                first_name=first,
                last_name=last,
                email=f"{username}@demo-exports.example",
                mobile=mobile,
            )
            FirmMember.objects.get_or_create(
                user=user,
                defaults={
                    "firm": record,
                    "role": role,
                    "invited_by": admin,
                    "mobile_verified_at": timezone.now(),
                },
            )

    def _officer(
        self, username: str, first: str, last: str, role: str, office: AgencyOffice
    ) -> tuple[User, TOTPDevice]:
        user = _demo_user(
            username,
            role=role,
            first_name=first,
            last_name=last,
            email=f"{username}@eic.example",
            is_staff=role == User.Role.AGENCY_ADMIN,
        )
        OfficerProfile.objects.get_or_create(
            user=user,
            defaults={
                "agency": office.agency,
                "office": office,
                "designation": "Agency Administrator"
                if role == User.Role.AGENCY_ADMIN
                else "Certifying Officer",
            },
        )
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="Demo authenticator", defaults={"key": DEMO_TOTP_HEX, "confirmed": True}
        )
        if role == User.Role.AGENCY_ADMIN:
            user.user_permissions.set(
                Permission.objects.filter(codename__in=AGENCY_ADMIN_PERMISSIONS)
            )
        return user, device

    def _print(self, device: TOTPDevice) -> None:
        ready = IECRecord.objects.get(iec=READY_IEC)
        secret = base64.b32encode(bytes.fromhex(DEMO_TOTP_HEX)).decode()
        lines = [
            "",
            "Demo accounts (development only)",
            f"  Register:  /accounts/register/  IEC Code {ready.iec}, Email ID {ready.email}, "
            f"Mobile Number {ready.mobile[3:]}  (CAPTCHA_TEST_MODE=1: type PASSED)",
            f"  Exporter:  /accounts/login/  IEC Code {REGISTERED_IEC}, password {DEMO_PASSWORD}",
            "  Its members: /accounts/login/  username priya (preparer) or sam (signatory), "
            f"password {DEMO_PASSWORD}",
            "  Officer:   /accounts/officer/login/  username officer.mumbai, "
            f"password {DEMO_PASSWORD}"
            " (EIC, Mumbai)",
            f"             TOTP secret {secret}  ({device.config_url})",
            f"  Agency admin: /admin/  username admin.eic, password {DEMO_PASSWORD}"
            " (same TOTP secret)",
            f"  Agent:     /accounts/login/  username {DEMO_AGENT_USERNAME}, "
            f"password {DEMO_PASSWORD} (Kiran Logistics, files for IEC {REGISTERED_IEC})",
            f"             Licence number {DEMO_AGENT_LICENCE}"
            " (a firm types it to authorise the agent)",
            "  Suspended IEC (registration refused): AADCR5500M",
            "",
        ]
        self.stdout.write("\n".join(lines))


def _demo_user(username: str, **defaults: object) -> User:
    """The demo account, created with the demo password the first time only."""
    user, created = User.objects.get_or_create(username=username, defaults=defaults)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user
