"""Issue 29, item 3: India-EFTA TEPA's self-declared certificate of origin. The firm's signatory
makes the statement on origin they signed; no officer reviews it and no agency certifies it;
it is numbered from a gapless counter of its own, printed on its own form with the statement,
marked as not certified by an agency, signed with the portal's key (PAdES) and carries a
credential, and verifies like a certificate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from applications import selectors, workflow
from applications.models import Application, DeclarationSignature, Status
from applications.workflow import Action, WorkflowError, application_submit
from certificates import keys
from certificates.models import Certificate
from certificates.services import CertificateError, self_declaration_make
from certificates.validation import check_signed_pdf
from reference.certificate_forms import FORMS, SELF_DECLARATION_KEY, form_for
from reference.models import AgencyOffice, TradeAgreement
from reference.services import self_declaration_route_ensure
from tests import factories
from tests.credentials import verify_published
from tests.factories import pdf_bytes

from .conftest import pdf_text, pdfsig
from .factories import self_declaration_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def tepa(db) -> TradeAgreement:
    return factories.TradeAgreementFactory(
        code="IETEPA",
        name="India-EFTA TEPA",
        form_title="India-EFTA TEPA Certificate of Origin",
        partner_countries=["CH", "NO", "IS", "LI"],
        origin_criteria=["WO", "CTSH", "RVC", "PSR"],
    )


@pytest.fixture
def self_declared_office(tepa) -> AgencyOffice:
    return self_declaration_route_ensure()


@pytest.fixture
def portal_key(signing_keys: Path, self_declared_office) -> Path:
    keys.ensure_agency_key("PORTAL", self_declared_office.agency.name)
    return signing_keys / "PORTAL.p12"


def ready_self_declaration(exporter: Any, office: AgencyOffice, tepa: TradeAgreement, **fields):
    """A complete India-EFTA draft on the self-declaration route, its statement signed (by
    SMS code, as applications/declaration.py records it), no fee paid."""
    application = self_declaration_draft(exporter, office, tepa, **fields)
    factories.declaration_sign(application)
    return application


def make(application: Application, exporter: Any, capture: Any) -> Certificate:
    with capture(execute=True):
        self_declaration_make(application_id=application.pk, exporter=exporter)
    return Certificate.objects.get(application=application)


def test_the_self_declaration_form_is_no_agreements_certificate():
    # FORMS is one per agreement (validity and criteria are read from it).
    assert SELF_DECLARATION_KEY not in FORMS
    assert form_for(SELF_DECLARATION_KEY).declaration.title == "Statement on origin by the exporter"


def test_the_route_is_offered_only_under_india_efta(self_declared_office, tepa):
    aifta = factories.TradeAgreementFactory()
    assert self_declared_office in selectors.offices_for(tepa)
    assert self_declared_office not in selectors.offices_for(aifta)
    assert self_declared_office not in selectors.offices_for(None)  # not non-preferential
    assert self_declared_office.agency.self_declaration


def test_a_self_declaration_costs_no_fee_and_needs_no_payment_to_be_made(
    alice, self_declared_office, tepa
):
    factories.FeeFactory(certificate_type="preferential", amount="500.00")
    application = ready_self_declaration(alice, self_declared_office, tepa)
    fee = selectors.fee_for(application)
    assert fee is not None
    assert fee.waived
    assert "no agency fee" in fee.explanation
    assert selectors.submission_problems(application) == []


def test_the_signatory_makes_it_and_it_is_issued_without_an_officer(
    alice, self_declared_office, tepa, portal_key, django_capture_on_commit_callbacks
):
    application = ready_self_declaration(alice, self_declared_office, tepa)
    certificate = make(application, alice, django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.status == Status.ISSUED
    assert application.assigned_officer is None
    assert application.submitted_by == alice
    assert certificate.signing_officer == alice
    assert certificate.number == f"PORTAL/{certificate.year}/SD/0000001"
    trail = list(application.events.values_list("from_status", "to_status", "actor_id"))
    assert ("draft", "approved", alice.pk) in trail
    assert ("approved", "issued", None) in trail


def test_numbers_come_from_a_gapless_counter_of_their_own(
    alice, self_declared_office, tepa, portal_key, eic_mumbai, django_capture_on_commit_callbacks
):
    numbers = [
        make(
            ready_self_declaration(alice, self_declared_office, tepa),
            alice,
            django_capture_on_commit_callbacks,
        ).sequence
        for _ in range(3)
    ]
    assert numbers == [1, 2, 3]


def test_an_unsigned_statement_cannot_be_made(alice, self_declared_office, tepa, portal_key):
    application = ready_self_declaration(alice, self_declared_office, tepa)
    DeclarationSignature.objects.filter(application=application).delete()
    with pytest.raises(CertificateError, match="sign"):
        self_declaration_make(application_id=application.pk, exporter=alice)
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert not Certificate.objects.filter(application=application).exists()


def test_an_application_for_an_agency_cannot_be_self_declared(alice, eic_mumbai, tepa):
    application = ready_self_declaration(alice, eic_mumbai, tepa)
    with pytest.raises(CertificateError, match="submit it to the agency"):
        self_declaration_make(application_id=application.pk, exporter=alice)


def test_a_self_declaration_is_not_submitted_to_an_agency(alice, bob, self_declared_office, tepa):
    application = ready_self_declaration(alice, self_declared_office, tepa)
    assert not workflow.allowed(application, Action.SUBMIT, alice)
    assert workflow.allowed(application, Action.SELF_DECLARE, alice)
    assert not workflow.allowed(application, Action.SELF_DECLARE, bob)
    with pytest.raises(WorkflowError, match="no agency reviews it"):
        application_submit(application_id=application.pk, exporter=alice)


def test_the_check_page_offers_to_make_it_not_to_pay_and_submit(
    alice, self_declared_office, tepa, client
):
    application = ready_self_declaration(alice, self_declared_office, tepa)
    client.force_login(alice)
    body = client.get(reverse("applications:check", args=[application.reference])).content
    assert reverse("certificates:self-declare", args=[application.reference]).encode() in body
    assert reverse("applications:submit", args=[application.reference]).encode() not in body
    tasks = client.get(reverse("applications:tasks", args=[application.reference])).content
    assert b"make the self-declaration" in tasks
    assert b"pay and submit" not in tasks


def test_another_firm_cannot_make_it(alice, bob, self_declared_office, tepa, client):
    application = ready_self_declaration(alice, self_declared_office, tepa)
    client.force_login(bob)
    response = client.post(reverse("certificates:self-declare", args=[application.reference]))
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == Status.DRAFT


def test_the_pdf_prints_the_statement_and_says_no_agency_certified_it(
    alice, self_declared_office, tepa, portal_key, django_capture_on_commit_callbacks, tmp_path
):
    certificate = make(
        ready_self_declaration(alice, self_declared_office, tepa),
        alice,
        django_capture_on_commit_callbacks,
    )
    path = tmp_path / "sd.pdf"
    path.write_bytes(pdf_bytes(certificate))
    text = pdf_text(path)
    assert "Self-Declared Certificate of Origin" in text
    assert "EXPORTER'S SELF-DECLARATION" in text
    assert "Not certified by any agency" in text
    assert "No issuing agency has examined or certified this declaration" in text
    assert (
        "The exporter of the products covered by this document declares that, except where "
        "otherwise clearly indicated, these products are of INDIA preferential origin"
    ) in text
    assert certificate.number in text
    form = form_for(SELF_DECLARATION_KEY)  # drawn from its definition, box by box
    for box in (*form.header, *form.columns, form.declaration, form.certification):
        assert f"{box.number} {box.title}" in text
    # No agency's certification wording.
    assert "It is hereby certified" not in text


def test_pyhanko_and_pdfsig_validate_the_portal_signature(
    alice,
    self_declared_office,
    tepa,
    portal_key,
    django_capture_on_commit_callbacks,
    tmp_path,
    nss_db,
):
    certificate = make(
        ready_self_declaration(alice, self_declared_office, tepa),
        alice,
        django_capture_on_commit_callbacks,
    )
    data = pdf_bytes(certificate)
    check = check_signed_pdf(data)
    assert check.ok, check
    path = tmp_path / "sd.pdf"
    path.write_bytes(data)
    out = pdfsig(nss_db, path)
    assert "Signature is Valid." in out
    assert "Certificate is Trusted." in out


def test_the_credential_says_it_is_self_declared(
    alice, self_declared_office, tepa, portal_key, django_capture_on_commit_callbacks, client
):
    certificate = make(
        ready_self_declaration(alice, self_declared_office, tepa),
        alice,
        django_capture_on_commit_callbacks,
    )
    # Checked with the portal's published key for the PORTAL route, as a verifier would.
    claims = verify_published(client, certificate.credential.jwt)
    subject = claims["credentialSubject"]
    assert subject["selfDeclaration"] is True
    assert subject["certifiedByAgency"] is False
    assert subject["certifyingOfficer"] is None
    assert subject["certificateNumber"] == certificate.number
    assert json.dumps(subject)  # plain JSON


def test_it_verifies_by_number_and_code(
    alice, self_declared_office, tepa, portal_key, django_capture_on_commit_callbacks, client
):
    certificate = make(
        ready_self_declaration(alice, self_declared_office, tepa),
        alice,
        django_capture_on_commit_callbacks,
    )
    url = reverse("verification:verify-certificate", kwargs={"number": certificate.number})
    response = client.get(url, {"code": certificate.verification_code})
    assert response.status_code == 200
    body = response.content.decode()
    assert "VALID" in body
    assert "not certified by any agency" in body.lower()
