"""The Verifiable Credential issued with every certificate: checked with jwcrypto (the portal
signs with joserfc), keys resolved from what the portal publishes, the status list decoded
here by hand."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.db import IntegrityError, transaction
from django.urls import reverse
from jwcrypto.jws import InvalidJWSSignature
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from applications.models import Application
from certificates import keys
from certificates.credential_keys import clear_caches
from certificates.models import Certificate, Credential
from certificates.services import certificate_request_replacement, certificate_revoke
from tests import credentials as vc
from tests import factories
from tests.clients import exporter_client
from tests.factories import pdf_bytes

from .conftest import pdf_text, pdfsig, run
from .factories import application_under_review, approve, issued_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_credential_keys():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def application(alice, olivia, eic_mumbai):
    """A preferential (AIFTA, Form AI) application: agreement, criteria and all."""
    application = application_under_review(
        exporter=alice,
        officer=olivia,
        office=eic_mumbai,
        items=0,
        certificate_type="preferential",
        agreement=factories.TradeAgreementFactory(),
        destination_country="ID",
        remarks="Shipment in two containers.",
    )
    factories.LineItemFactory(
        application=application, position=1, origin_criterion="WO", hs_code="61091000"
    )
    factories.LineItemFactory(
        application=application,
        position=2,
        description="Silk scarves, hand-printed",
        hs_code="62141000",
        origin_criterion="RVC",
        criterion_percentage=Decimal("40"),
        quantity=Decimal("75.5"),
        unit="kg",
        gross_weight_kg=Decimal("80.250"),
        fob_value=Decimal("1234.56"),
        fob_currency="EUR",
    )
    return application


@pytest.fixture
def certificate(application, eic_key, django_capture_on_commit_callbacks) -> Certificate:
    return issued_certificate(application, django_capture_on_commit_callbacks)


def downloaded(client, certificate: Certificate) -> str:
    response = client.get(reverse("certificates:credential", args=[certificate.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    return response.content.decode()


# -- 1. verifies with an independent library, key from the published did:web document / JWKS --


def test_the_credential_verifies_with_jwcrypto_and_the_key_from_the_agencys_did_document(
    certificate, alice, client
):
    token = downloaded(exporter_client(alice), certificate)

    credential = vc.verify_published(client, token)

    assert vc.header_of(token)["alg"] == "ES256"
    assert credential["issuer"]["id"].endswith(":agencies:EIC")
    assert credential["issuer"]["id"].startswith("did:web:")
    assert credential["credentialSubject"]["certificateNumber"] == certificate.number
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential["type"] == ["VerifiableCredential", "CertificateOfOriginCredential"]


def test_the_same_key_is_in_the_jwks_and_the_portals_did_document(certificate, alice, client):
    token = downloaded(exporter_client(alice), certificate)
    kid = vc.header_of(token)["kid"]

    assert vc.verify(token, vc.key_from_jwks(client, kid))["id"].startswith("urn:uuid:")
    portal = client.get("/.well-known/did.json").json()
    assert kid in [m["id"] for m in portal["verificationMethod"]]
    assert not any("d" in k for k in client.get("/.well-known/jwks.json").json()["keys"])


def test_the_credential_key_is_not_the_pdf_signing_key(certificate, alice, client):
    token = downloaded(exporter_client(alice), certificate)
    published = vc.key_from_jwks(client, vc.header_of(token)["kid"]).get_op_key("verify")
    pdf_key = load_der_public_key(keys.get_signer("EIC").signing_cert.public_key.dump())

    assert published.public_numbers() != pdf_key.public_numbers()


def test_a_key_from_another_agency_does_not_verify_it(certificate, alice, client, fieo):
    token = downloaded(exporter_client(alice), certificate)
    fieo_kid = next(
        k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"] if "FIEO" in k["kid"]
    )

    with pytest.raises(InvalidJWSSignature):
        vc.verify(token, vc.key_from_jwks(client, fieo_kid))


def test_the_context_is_published_and_public(certificate, alice, client):
    credential = vc.payload_of(downloaded(exporter_client(alice), certificate))
    context_url = credential["@context"][1]

    response = client.get(vc.urlsplit(context_url).path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    context = response.json()["@context"]
    assert context["@protected"] is True
    assert context["consignee"]["@id"] == "https://vocabulary.uncefact.org/consigneeParty"
    assert context["address"]["@id"] == "https://schema.org/address"


# -- 2. every fact of the PDF, equal to the register's; the PDF hash -------------------------


def test_every_fact_of_the_certificate_is_in_the_credential_as_the_register_has_it(
    certificate, alice, client, tmp_path
):
    subject = vc.verify_published(client, downloaded(exporter_client(alice), certificate))[
        "credentialSubject"
    ]
    application = Application.objects.get(pk=certificate.application_id)
    profile = application.exporter.exporter_profile
    invoice = application.invoices.get()

    assert subject["certificateNumber"] == certificate.number
    assert subject["verificationCode"] == certificate.verification_code
    assert subject["certificateType"] == "preferential"
    assert subject["title"] == "Form AI"
    assert subject["tradeAgreement"] == {
        "code": "AIFTA",
        "name": "ASEAN-India Free Trade Area",
        "form": "Form AI",
    }
    assert subject["issueDate"] == certificate.issued_at.astimezone().date().isoformat()
    assert subject["exporter"]["name"] == profile.firm_name
    assert subject["exporter"]["address"] == profile.iec_record.address
    assert subject["exporter"]["identifier"] == {"scheme": "IEC", "value": profile.iec}
    assert subject["consignee"]["name"] == application.consignee_name
    assert subject["consignee"]["address"] == application.consignee_address
    assert subject["consignee"]["country"] == {"code": "ID", "name": "Indonesia"}
    assert subject["originCountry"] == {"code": "IN", "name": "India"}
    assert subject["destinationCountry"] == {"code": "ID", "name": "Indonesia"}
    assert subject["transport"] == {
        "mode": application.transport_mode,
        "modeName": application.get_transport_mode_display(),
        "vesselOrFlight": application.vessel_or_flight,
        "portOfLoading": application.port_of_loading,
        "portOfDischarge": application.port_of_discharge,
        "departureDate": application.departure_date.isoformat(),
    }
    assert subject["invoices"] == [{"number": invoice.number, "date": invoice.date.isoformat()}]
    assert subject["remarks"] == "Shipment in two containers."
    assert subject["issuingAgency"] == {"code": "EIC", "name": application.agency.name}
    assert subject["issuingOffice"]["code"] == "MUM"
    assert subject["certifyingOfficer"]["name"] == "Olivia Rao"
    assert subject["declaration"]["name"] == application.declaration_name
    items = list(application.items.order_by("position"))
    assert [i["position"] for i in subject["items"]] == [1, 2]
    for printed, line in zip(subject["items"], items, strict=True):
        assert printed["hsCode"] == line.hs_code
        assert printed["description"] == line.description
        assert printed["marksAndNumbers"] == line.marks_and_numbers
        assert printed["packageCount"] == line.package_count
        assert printed["packageKind"] == line.package_kind
        assert printed["originCriterion"] == line.criterion_display
        assert Decimal(printed["quantity"]["value"]) == line.quantity
        assert printed["quantity"]["unitText"] == line.unit
        assert Decimal(printed["grossWeight"]["value"]) == line.gross_weight_kg
        assert printed["grossWeight"]["unitCode"] == "KGM"
        assert Decimal(printed["fobValue"]["value"]) == line.fob_value
        assert printed["fobValue"]["currency"] == line.fob_currency
    assert subject["items"][1]["originCriterion"] == "RVC 40%"

    # ...and what the credential says is what the PDF prints.
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf_bytes(certificate))
    text = pdf_text(path)
    for fact in [
        subject["certificateNumber"],
        subject["title"],
        subject["exporter"]["name"],
        subject["consignee"]["name"],
        subject["transport"]["portOfLoading"],
        subject["transport"]["vesselOrFlight"],
        *(i["hsCode"][:4] for i in subject["items"]),
        *(i["originCriterion"] for i in subject["items"]),
        invoice.number,
    ]:
        assert fact in text, fact


def test_the_downloaded_credential_carries_the_sha256_of_the_signed_pdf(certificate, alice, client):
    subject = vc.verify_published(client, downloaded(exporter_client(alice), certificate))[
        "credentialSubject"
    ]
    stored = pdf_bytes(certificate)

    assert subject["pdfDocument"]["sha256"] == hashlib.sha256(stored).hexdigest()
    assert subject["pdfDocument"]["sha256"] == certificate.sha256


def test_the_embedded_credential_is_the_same_credential_without_the_hash_of_its_own_pdf(
    certificate, alice, client
):
    outside = vc.verify_published(client, downloaded(exporter_client(alice), certificate))
    inside = vc.verify_published(client, vc.embedded_credential(pdf_bytes(certificate)))

    assert "pdfDocument" not in inside["credentialSubject"]
    assert inside["id"] == outside["id"]
    assert inside["credentialStatus"] == outside["credentialStatus"]
    assert inside["validFrom"] == outside["validFrom"]
    outside["credentialSubject"].pop("pdfDocument")
    assert inside == outside


# -- 3. revoking (or superseding) sets the bit -------------------------------------------------


def test_revoking_sets_the_credentials_bit_on_the_served_status_list(
    certificate, alice, ada, client
):
    credential = vc.payload_of(downloaded(exporter_client(alice), certificate))
    assert vc.status_bit(client, credential) is False

    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason="Wrong origin declared.")

    assert vc.status_bit(client, credential) is True


def test_superseding_sets_the_old_credentials_bit_and_not_the_new_ones(
    certificate, alice, olivia, client, django_capture_on_commit_callbacks
):
    old = vc.payload_of(downloaded(exporter_client(alice), certificate))
    draft = certificate_request_replacement(
        certificate_id=certificate.pk, exporter=alice, reason="The consignee's address was wrong."
    )
    Application.objects.filter(pk=draft.pk).update(status="under_review", assigned_officer=olivia)
    draft.refresh_from_db()
    approve(draft, django_capture_on_commit_callbacks)
    replacement = Certificate.objects.get(application=draft)
    new = vc.payload_of(downloaded(exporter_client(alice), replacement))

    assert vc.status_bit(client, old) is True
    assert vc.status_bit(client, new) is False
    assert new["credentialSubject"]["inLieuOf"] == certificate.number


def test_a_revocation_rolled_back_leaves_the_bit_clear(certificate, alice, ada, client):
    credential = vc.payload_of(downloaded(exporter_client(alice), certificate))

    def revoke_then_fail() -> None:
        with transaction.atomic():
            certificate_revoke(certificate_id=certificate.pk, actor=ada, reason="Wrong origin.")
            raise RuntimeError("the transaction fails after the revocation")

    with pytest.raises(RuntimeError):
        revoke_then_fail()

    assert vc.status_bit(client, credential) is False


def test_the_status_list_has_caching_headers_and_answers_304_while_unchanged(
    certificate, alice, ada, client
):
    credential = vc.payload_of(downloaded(exporter_client(alice), certificate))
    path = vc.urlsplit(vc.status_entry(credential)["statusListCredential"]).path
    first = client.get(path)
    assert first["Cache-Control"] == "public, max-age=60"

    assert client.get(path, headers={"If-None-Match": first["ETag"]}).status_code == 304
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason="Wrong origin.")
    after = client.get(path, headers={"If-None-Match": first["ETag"]})

    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]


def test_two_credentials_of_an_agency_never_share_a_status_index(certificate):
    entry = Credential.objects.get(certificate=certificate)

    with pytest.raises(IntegrityError), transaction.atomic():
        Credential.objects.create(
            agency=entry.agency,
            list_number=entry.list_number,
            status_index=entry.status_index,
            credential_id="urn:uuid:another",
        )


def test_status_indexes_are_random_not_sequential(
    alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks
):
    indexes = []
    for _ in range(3):
        application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
        issued = issued_certificate(application, django_capture_on_commit_callbacks)
        indexes.append(Credential.objects.get(certificate=issued).status_index)

    assert len(set(indexes)) == 3
    assert indexes != sorted(indexes) or indexes[1] - indexes[0] != 1


# -- 5. attached inside the PDF, and the PDF's signature still validates ----------------------


def test_the_credential_is_attached_and_the_signature_covers_it_for_pdfsig(
    certificate, nss_db, tmp_path: Path
):
    pdf = pdf_bytes(certificate)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)

    assert vc.header_of(vc.embedded_credential(pdf))["typ"] == "vc+jwt"
    report = pdfsig(nss_db, path)
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    # The attachment comes before the signature: the signed revision is the whole file.
    assert pdf.rindex(b"/EmbeddedFiles") < pdf.rindex(b"/ByteRange")


def test_the_credential_is_attached_and_pyhanko_finds_the_signature_intact(certificate):
    reader = PdfFileReader(vc.io.BytesIO(pdf_bytes(certificate)))
    roots = keys.trust_roots()

    status = validate_pdf_signature(
        reader.embedded_signatures[0], ValidationContext(trust_roots=roots)
    )

    assert status.intact
    assert status.valid
    assert status.trusted
    # what follows the signed revision is only the B-LTA update (DSS, document timestamp)
    assert status.coverage.name == "ENTIRE_REVISION"
    assert status.modification_level.name == "LTA_UPDATES"


def test_the_exporters_certificate_panel_offers_the_credential(certificate, alice):
    page = exporter_client(alice).get(
        reverse("applications:detail", args=[certificate.application.reference])
    )

    assert reverse("certificates:credential", args=[certificate.number]) in page.content.decode()


def test_a_second_exporter_cannot_download_the_credential(certificate, bob):
    response = exporter_client(bob).get(
        reverse("certificates:credential", args=[certificate.number])
    )

    assert response.status_code == 404


def test_an_index_already_taken_is_skipped_for_another_random_one(
    certificate, alice, olivia, eic_mumbai, django_capture_on_commit_callbacks, monkeypatch
):
    taken = Credential.objects.get(certificate=certificate).status_index
    draws = iter([taken, taken, 77])
    monkeypatch.setattr("certificates.credential.secrets.randbelow", lambda _n: next(draws))
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)

    second = issued_certificate(application, django_capture_on_commit_callbacks)

    assert Credential.objects.get(certificate=second).status_index == 77


def test_poppler_lists_and_saves_the_attached_credential(certificate, tmp_path: Path):
    content = pdf_bytes(certificate)
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(content)
    saved = tmp_path / "credential.jwt"

    listing = run("pdfdetach", "-list", str(pdf))
    run("pdfdetach", "-save", "1", "-o", str(saved), str(pdf), check=True)

    assert "credential.jwt" in listing
    assert saved.read_text() == vc.embedded_credential(content)


def test_the_credential_is_in_force_for_its_agreements_validity(certificate, alice, client):
    token = downloaded(exporter_client(alice), certificate)
    credential = vc.verify_published(client, token)  # jwcrypto, the key from the DID document
    embedded = vc.payload_of(vc.embedded_credential(pdf_bytes(certificate)))

    valid_from = datetime.fromisoformat(credential["validFrom"])
    valid_until = datetime.fromisoformat(credential["validUntil"])

    assert (valid_until.year - valid_from.year) * 12 + valid_until.month - valid_from.month == 12
    assert (valid_until.day, valid_until.time()) == (valid_from.day, valid_from.time())
    assert embedded["validUntil"] == credential["validUntil"]


def test_the_validity_follows_the_agreements_entry_in_the_reference_data(
    application, eic_key, django_capture_on_commit_callbacks, monkeypatch
):
    """Not twelve months for all: the months come from reference/data/certificate_validity.json
    by the certificate's agreement (here an entry that says six)."""
    from reference import validity

    code = application.agreement.code
    real = validity.validity_for
    monkeypatch.setattr(
        validity,
        "validity_for",
        lambda c: validity.Validity(6, "six months", "test", True) if c == code else real(c),
    )
    certificate = issued_certificate(application, django_capture_on_commit_callbacks)
    credential = vc.payload_of(Credential.objects.get(certificate=certificate).jwt)

    valid_from = datetime.fromisoformat(credential["validFrom"])
    valid_until = datetime.fromisoformat(credential["validUntil"])
    assert (valid_until.year - valid_from.year) * 12 + valid_until.month - valid_from.month == 6


def test_every_agreement_has_a_validity_entry_with_its_source() -> None:
    from reference.certificate_forms import FORMS
    from reference.validity import _table

    agreements, non_preferential = _table()

    assert set(FORMS) - {"non_preferential"} <= set(agreements)
    for entry in (*agreements.values(), non_preferential):
        assert entry.months > 0
        assert entry.source
    confirmed = {code for code, entry in agreements.items() if entry.confirmed}
    assert {"AIFTA", "IAECTA"} <= confirmed
    assert all("(not read)" not in agreements[code].rule for code in confirmed)


def test_validity_ends_on_the_last_day_of_a_shorter_month() -> None:
    from reference.validity import valid_until

    start = datetime(2028, 2, 29, 10, 0, tzinfo=UTC)

    assert valid_until(issued_at=start, agreement_code="AIFTA") == datetime(
        2029, 2, 28, 10, 0, tzinfo=UTC
    )
