"""Utilisation: a confirmed customs verifier records the import a certificate was used for; the
next verifier is told; a one-import certificate refuses a second claim and the agency hears."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from reference.models import TradeAgreement
from tests import factories
from tests.clients import exporter_client, verified_client
from tests.verification.helpers import look_up, revoke
from verification.models import Utilisation, VerifierMember, VerifierOrganisation
from verification.utilisation import (
    UtilisationError,
    utilisation_record,
    verifier_organisation_confirm,
)

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
ENTRY = {
    "entry_number": "AE-DXB-2026-0042",
    "entry_date": "2026-12-01",
    "port": "Jebel Ali",
    "item_position": "1",
    "quantity": "1200",
}


def verifier(name: str, *, org: str, country: str = "AE", confirmed: bool = True):
    organisation, _ = VerifierOrganisation.objects.get_or_create(
        name=org,
        defaults={"kind": "customs", "country": country, "contact_email": "unit@example.ae"},
    )
    if confirmed and organisation.confirmed_at is None:
        staff = factories.UserFactory(username="platform", role="operator", is_staff=True)
        verifier_organisation_confirm(organisation_id=organisation.pk, staff=staff)
    user = factories.UserFactory(username=name, role="verifier")
    VerifierMember.objects.create(user=user, organisation=organisation)
    return user


@pytest.fixture
def dubai():
    return verifier("hamdan", org="Dubai Customs")


@pytest.fixture
def abu_dhabi():
    return verifier("mariam", org="Abu Dhabi Customs")


@pytest.fixture
def cepa(certificate):
    agreement = TradeAgreement.objects.create(
        code="IUAECEPA",
        name="India-UAE CEPA",
        form_title="India-UAE CEPA Certificate of Origin",
        origin_criteria=["WO", "PSR"],
        single_import=True,
    )
    certificate.application.agreement = agreement
    certificate.application.save(update_fields=["agreement"])
    return certificate


def record_url(number: str = NUMBER, code: str = CODE) -> str:
    return reverse("verification:record-import", args=[number]) + f"?code={code}"


def record(user, **changes):
    client = verified_client(user)
    return client.post(record_url(), {**ENTRY, **changes})


def test_a_confirmed_customs_verifier_records_an_import_and_the_next_verifier_sees_it(
    certificate, dubai, client
):
    response = record(dubai)

    assert response.status_code == 302
    claim = Utilisation.objects.get()
    assert (claim.outcome, claim.entry_number, claim.quantity) == (
        "recorded",
        "AE-DXB-2026-0042",
        Decimal("1200.000"),
    )
    page = look_up(client, "page", NUMBER, CODE).content.decode()
    assert "USED FOR 1 IMPORT" in page
    assert "AE-DXB-2026-0042" in page
    assert "Jebel Ali" in page
    assert "Dubai Customs" in page
    used = look_up(client, "api", NUMBER, CODE).json()["utilisation"]
    assert used["used_up"] is False
    assert used["imports"] == [
        {
            "entry_number": "AE-DXB-2026-0042",
            "entry_date": "2026-12-01",
            "port": "Jebel Ali",
            "item": 1,
            "quantity": "1200.000",
            "recorded_by": {
                "name": "Dubai Customs",
                "country": {"code": "AE", "name": "United Arab Emirates"},
            },
        }
    ]


def test_a_second_claim_on_a_one_import_certificate_is_refused_and_the_agency_alerted(
    cepa, dubai, abu_dhabi, ada, client, django_capture_on_commit_callbacks
):
    assert record(dubai).status_code == 302
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = record(abu_dhabi, entry_number="AE-AUH-2026-0007", port="Khalifa Port")

    assert response.status_code == 400
    text = response.content.decode()
    assert "covers one import" in text
    assert "AE-DXB-2026-0042" in text
    assert "The issuing agency has been told." in text
    refused = Utilisation.objects.get(entry_number="AE-AUH-2026-0007")
    assert refused.outcome == "refused"
    assert [m.to for m in mail.outbox] == [[ada.email]]
    assert "Refused import claim on certificate EIC/2026/MUM/0000123" in mail.outbox[0].subject
    assert "Abu Dhabi Customs" in mail.outbox[0].body
    # The next verifier sees the first import, not the refused claim.
    page = look_up(client, "page", NUMBER, CODE).content.decode()
    assert "ALREADY USED FOR AN IMPORT" in page
    assert "AE-DXB-2026-0042" in page
    assert "AE-AUH-2026-0007" not in page
    assert look_up(client, "api", NUMBER, CODE).json()["utilisation"]["used_up"] is True


def test_a_one_import_certificate_not_yet_used_says_so(cepa, client):
    page = look_up(client, "page", NUMBER, CODE).content.decode()
    assert "covers one import. No import has been recorded on it." in page


def test_several_imports_share_an_items_quantity_where_the_agreement_allows(certificate, dubai):
    # Item 1 covers 1200 pieces (tests/verification/conftest.py).
    assert record(dubai, quantity="700").status_code == 302
    assert record(dubai, quantity="500", entry_number="AE-DXB-2026-0043").status_code == 302
    response = record(dubai, quantity="1", entry_number="AE-DXB-2026-0044")

    assert response.status_code == 400
    assert "0.000 pieces are left" in response.content.decode()
    outcomes = list(Utilisation.objects.values_list("entry_number", "outcome"))
    assert outcomes == [
        ("AE-DXB-2026-0042", "recorded"),
        ("AE-DXB-2026-0043", "recorded"),
        ("AE-DXB-2026-0044", "refused"),
    ]


def test_the_same_entry_is_not_recorded_twice(certificate, dubai):
    record(dubai, quantity="10")
    response = record(dubai, quantity="10")
    assert "recorded on this certificate already" in response.content.decode()
    assert Utilisation.objects.count() == 1


def test_an_unconfirmed_organisation_an_exporter_and_an_officer_may_not_record(
    certificate, alice, olivia
):
    pending = verifier("rashid", org="Sharjah Customs", confirmed=False)
    for user in (pending, alice, olivia):
        response = record(user)
        assert response.status_code == 403
        assert "Verifier organisations only" in response.content.decode()
    with pytest.raises(UtilisationError, match="confirmed verifier organisation"):
        utilisation_record(
            certificate_id=certificate.pk,
            user=pending,
            entry_number="X",
            entry_date=dt.date(2026, 12, 1),
            port="Jebel Ali",
            item_position=1,
            quantity=Decimal(1),
        )
    assert Utilisation.objects.count() == 0


def test_a_wrong_code_is_not_found_and_anonymous_visitors_are_sent_to_sign_in(
    certificate, dubai, client
):
    assert verified_client(dubai).get(record_url(code="WRONGCODE123")).status_code == 404
    assert client.get(record_url()).status_code == 302


def test_a_revoked_certificate_cannot_cover_an_import(certificate, dubai, ada):
    revoke(certificate, "Non-originating content.", actor=ada)
    response = record(dubai)
    assert "is revoked: it cannot cover an import" in response.content.decode()
    assert Utilisation.objects.count() == 0


def test_only_platform_staff_confirm_an_organisation(alice):
    organisation = VerifierOrganisation.objects.create(
        name="Bank of Sharjah", kind="bank", country="AE", contact_email="trade@example.ae"
    )
    with pytest.raises(UtilisationError):
        verifier_organisation_confirm(organisation_id=organisation.pk, staff=alice)
    organisation.refresh_from_db()
    assert organisation.confirmed_at is None


def test_the_reference_data_makes_india_uae_cepa_a_one_import_agreement(db):
    call_command("seed_reference", verbosity=0)
    flags = dict(TradeAgreement.objects.values_list("code", "single_import"))
    assert flags["IUAECEPA"] is True
    assert [code for code, single in flags.items() if single] == ["IUAECEPA"]


def test_a_verifier_without_the_second_factor_is_sent_to_the_verifiers_sign_in(certificate, dubai):
    response = exporter_client(dubai).post(record_url(), ENTRY)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:verifier-login"))
    assert not Utilisation.objects.exists()


def test_the_record_form_carries_a_csrf_token(certificate, dubai):
    page = verified_client(dubai).get(record_url()).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_an_answer_kept_before_the_import_is_not_served_after_it(certificate, dubai, client):
    """With Redis the first lookup's answer is kept; recording the import forgets it."""
    assert look_up(client, "api", NUMBER, CODE).json()["utilisation"]["imports"] == []
    look_up(client, "page", NUMBER, CODE)
    record(dubai)
    assert len(look_up(client, "api", NUMBER, CODE).json()["utilisation"]["imports"]) == 1
    assert "USED FOR 1 IMPORT" in look_up(client, "page", NUMBER, CODE).content.decode()
