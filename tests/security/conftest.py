"""Security fixtures: the personas' clients and one "world" in which every named URL resolves.

The world is Alice's: a submitted application filed with EIC Mumbai (an invoice, an item, the
two required documents, a captured payment) and, on a second application, an issued
certificate. Bob, Oscar (FIEO) and the anonymous visitor must see none of it; Olivia and Ada
(EIC) may see what an officer of the agency sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import members
from accounts.models import FirmInvitation, FirmMember, User
from applications.models import Application, Document, Invoice, LineItem, Payment
from certificates import keys
from certificates.models import Certificate, Credential
from tests import factories
from tests.clients import otp_device
from tests.officer.factories import submitted_application
from tests.verification.factories import CertificateFactory

PERSONAS = ("anonymous", "alice", "bob", "olivia", "oscar", "ada")


@dataclass(frozen=True)
class World:
    alice: User
    application: Application
    invoice: Invoice
    item: LineItem
    document: Document
    payment: Payment
    certificate: Certificate
    member: FirmMember  # Priya, a preparer of Alice's firm
    invitation: FirmInvitation  # Alice's open invitation to a new person


@pytest.fixture
def signing_keys(settings, tmp_path: Path) -> Iterator[Path]:
    """Development keys in a folder of this test's own (the CA and EIC's signing key)."""
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    keys.ensure_development_ca()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    yield settings.SIGNING_KEYS_DIR
    keys.clear_caches()


def _member_of_alice(alice: User, role: str, username: str, name: str) -> User:
    return factories.FirmMemberFactory(
        firm=alice.exporter_profile.iec_record,
        role=role,
        user__username=username,
        user__first_name=name,
        user__mobile="+919820012345",
    ).user


@pytest.fixture
def priya(alice) -> User:
    """A preparer of Alice's firm."""
    return _member_of_alice(alice, "preparer", "priya", "Priya")


@pytest.fixture
def sam(alice) -> User:
    """A signatory of Alice's firm."""
    return _member_of_alice(alice, "signatory", "sam", "Sam")


@pytest.fixture
def abe(alice) -> User:
    """A second administrator of Alice's firm."""
    return _member_of_alice(alice, "administrator", "abe", "Abe")


@pytest.fixture
def world(alice, bob, olivia, oscar, ada, priya, sam, abe, eic_mumbai, signing_keys) -> World:
    application = submitted_application(exporter=alice, office=eic_mumbai, documents=2)
    certificate = CertificateFactory(
        # Last year's reference: this year's are allocated by the portal (a copy made in a test).
        application__reference="COO-2025-000777",
        application__exporter=alice,
        application__office=eic_mumbai,
        signing_officer=olivia,
    )
    Credential.objects.create(
        agency=certificate.application.agency,
        list_number=0,
        status_index=4242,
        certificate=certificate,
        credential_id="urn:uuid:00000000-0000-4000-8000-000000000777",
        jwt="eyJhbGciOiJFUzI1NiJ9.e30.c2ln",  # its content is not what these tests look at
    )
    return World(
        alice=alice,
        application=application,
        invoice=application.invoices.get(),
        item=application.items.get(),
        document=application.documents.order_by("pk").first(),
        payment=application.payments.get(),
        certificate=certificate,
        member=priya.firm_membership,
        invitation=members.member_invite(
            actor=alice,
            firm_id=alice.exporter_profile.iec_record_id,
            email="newcomer@alice.example",
            name="Nia Newcomer",
            role="preparer",
        ).invitation,
    )


def persona_client(persona: str, users: dict[str, User], **options: object) -> Client:
    """A client as the persona is after a real sign-in (officers past their TOTP step:
    what django_otp.login() leaves in the session). `options` go to Client()."""
    client = Client(**options)
    if persona == "anonymous":
        return client
    user = users[persona]
    client.force_login(user)
    if user.is_officer:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = otp_device(user).persistent_id
        session.save()
    return client


@pytest.fixture
def users(alice, bob, olivia, oscar, ada, priya, sam, abe) -> dict[str, User]:
    return {
        "alice": alice,
        "bob": bob,
        "olivia": olivia,
        "oscar": oscar,
        "ada": ada,
        "priya": priya,
        "sam": sam,
        "abe": abe,
    }
