"""The certificate as a W3C Verifiable Credential (VC Data Model 2.0), secured as vc+jwt.

Issuance (certificates.services.certificate_issue) calls two functions of this module:

1. credential_prepare(), before the PDF is signed: reserves a random index on the agency's
   Bitstring Status List, builds the credential of every printed fact (plus the register's
   codes, FOB values and exact quantities), signs it with the agency's credential key (ES256,
   certificates/credential_keys.py) and attaches it to the rendered PDF as an embedded file, so
   that the PAdES signature that follows covers it.
2. credential_register(), once the certificate row exists: signs the credential again, with the
   same id, issuer, validFrom and status entry, now with `pdfDocument.sha256`, the SHA-256 of
   the signed PDF; that is the credential the exporter and verifiers download.

Why two: a document cannot contain its own hash. The embedded credential therefore carries no
PDF hash (it needs none: the PDF's signature binds it to the file it is in), and the downloadable
one, signed a moment later, carries the hash of the signed PDF, so that a customs system holding
the credential and a PDF can tell whether they belong together. Both are the same credential
(same id); the embedded one is a copy that travels with the PDF.

Revoking or superseding a certificate sets its entry's bit (credential_revoke) in the
transaction that changes the certificate's status; verification/status_list.py serves the list.
"""

from __future__ import annotations

import io
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from joserfc import jws
from pyhanko.pdf_utils.embed import EmbeddedFileObject, EmbeddedFileParams, FileSpec, embed_file
from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from applications.models import Application, CertificateType, IssuingAgency
from core.english import in_english
from reference.validity import valid_until

from .credential_keys import ALGORITHM, credential_key, key_thumbprint
from .models import STATUS_LIST_FILL, STATUS_LIST_SIZE, Certificate, Credential
from .pdf import CertificateData

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
MEDIA_TYPE = "application/vc+jwt"
ATTACHMENT_NAME = "credential.jwt"
CREDENTIAL_TYPE = "CertificateOfOriginCredential"
ORIGIN_COUNTRY = {"code": "IN", "name": "India"}
# Tries at a random free index: a list is at most half full, so each try fails with p <= 1/2.
INDEX_TRIES = 40

SCHEMA = "https://schema.org/"
UNCEFACT = "https://vocabulary.uncefact.org/"


class CredentialError(Exception):
    """A credential could not be made (no free status index, no key)."""


# ---------------------------------------------------------------------------------------------
# Identifiers: did:web of the portal and of each agency, URLs of the context and status lists
# ---------------------------------------------------------------------------------------------


def portal_did() -> str:
    """did:web of the portal's host (a port is written %3A, as did:web says)."""
    return "did:web:" + quote(urlsplit(settings.SITE_URL).netloc, safe="")


def agency_did(agency_code: str) -> str:
    """did:web:<host>:agencies:<code>, resolved at SITE_URL/agencies/<code>/did.json."""
    return f"{portal_did()}:agencies:{quote(agency_code, safe='')}"


def agency_kid(agency_code: str) -> str:
    """The key's id: the agency's DID with the key's RFC 7638 thumbprint as fragment."""
    return f"{agency_did(agency_code)}#{key_thumbprint(agency_code)}"


def context_url() -> str:
    return settings.SITE_URL + reverse("verification:credential-context")


def vocabulary_url() -> str:
    return context_url() + "#"


def status_list_url(agency_code: str, list_number: int, *, purpose: str = "revocation") -> str:
    """The URL of an agency's status list: its revocation list (one bit per credential) or
    its message list (STATUS_MESSAGE_SIZE bits: valid, revoked or superseded)."""
    name = "verification:status-list" if purpose == "revocation" else "verification:status-messages"
    path = reverse(name, kwargs={"agency": agency_code, "list_number": list_number})
    return settings.SITE_URL + path


# The message list (Bitstring Status List, statusPurpose "message"): two bits a credential, so
# that a verifier without the register can tell a superseded certificate from a revoked one
# (the revocation list has one bit: "no longer in force").
STATUS_MESSAGE_SIZE = 2
STATUS_VALID, STATUS_REVOKED, STATUS_SUPERSEDED = 0, 1, 2
STATUS_MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "revoked"},
    {"status": "0x2", "message": "superseded"},
]


def context_document() -> dict[str, Any]:
    """The portal's JSON-LD context: schema.org and UN/CEFACT terms where they exist, the
    portal's own vocabulary (@vocab) for the rest. `name` and `description` come from the VC
    context (schema.org's), which protects them."""
    return {
        "@context": {
            "@version": 1.1,
            "@protected": True,
            "@vocab": vocabulary_url(),
            CREDENTIAL_TYPE: {"@id": vocabulary_url() + CREDENTIAL_TYPE},
            "CertificateOfOrigin": {"@id": vocabulary_url() + "CertificateOfOrigin"},
            "Organization": {"@id": SCHEMA + "Organization"},
            "QuantitativeValue": {"@id": SCHEMA + "QuantitativeValue"},
            "MonetaryAmount": {"@id": SCHEMA + "MonetaryAmount"},
            "address": {"@id": SCHEMA + "address"},
            "jobTitle": {"@id": SCHEMA + "jobTitle"},
            "identifier": {"@id": SCHEMA + "identifier"},
            "value": {"@id": SCHEMA + "value"},
            "unitCode": {"@id": SCHEMA + "unitCode"},
            "unitText": {"@id": SCHEMA + "unitText"},
            "currency": {"@id": SCHEMA + "currency"},
            "grossWeight": {"@id": SCHEMA + "weight"},
            "issueDate": {"@id": SCHEMA + "dateIssued"},
            "exporter": {"@id": UNCEFACT + "consignorParty"},
            "consignee": {"@id": UNCEFACT + "consigneeParty"},
            "sha256": {"@id": vocabulary_url() + "sha256"},
        }
    }


# ---------------------------------------------------------------------------------------------
# The credential's content
# ---------------------------------------------------------------------------------------------


def _decimal(value: Decimal) -> str:
    """Exact decimal text (JSON numbers would go through binary floating point)."""
    text = format(value.normalize(), "f")
    return text


def _country(country: Any) -> dict[str, str] | None:
    return {"code": country.code, "name": country.name} if country else None


def credential_subject(
    *, application: Application, data: CertificateData, pdf_sha256: str | None
) -> dict[str, Any]:
    """Every fact printed on the certificate (`data`, as the PDF shows it), with the register's
    codes and exact values beside the printed text. `application` comes from
    selectors.application_for_certificate."""
    agreement = application.agreement
    preferential = application.certificate_type == CertificateType.PREFERENTIAL
    invoices = list(application.invoices.all())
    subject: dict[str, Any] = {
        "type": "CertificateOfOrigin",
        "certificateNumber": data.number,
        "verificationCode": data.verification_code,
        "verificationUrl": data.verify_url,
        "certificateType": data.certificate_type,
        "title": data.title,
        "tradeAgreement": (
            {"code": agreement.code, "name": data.agreement_name, "form": agreement.form_title}
            if preferential and agreement
            else None
        ),
        "issueDate": data.issue_date.isoformat(),
        "issuingAgency": {"code": application.agency.code, "name": data.agency_name},
        "issuingOffice": {
            "code": application.office.code,
            "name": data.office_name,
            "city": data.office_city,
        },
        "certifyingOfficer": {"name": data.officer_name, "jobTitle": data.officer_designation},
        "exporter": {
            "type": "Organization",
            "name": data.exporter.name,
            "address": data.exporter.address,
            "identifier": {"scheme": "IEC", "value": data.exporter.iec},
        },
        "consignee": {
            "type": "Organization",
            "name": data.consignee.name,
            "address": data.consignee.address,
            "country": _country(application.consignee_country),
        },
        "thirdPartyInvoicing": data.third_party_invoicing,
        "originCountry": ORIGIN_COUNTRY,
        "destinationCountry": _country(application.destination_country),
        "transport": {
            "mode": application.transport_mode,
            "modeName": data.transport.mode,
            "vesselOrFlight": data.transport.vessel,
            "portOfLoading": data.transport.port_of_loading,
            "portOfDischarge": data.transport.port_of_discharge,
            "departureDate": (
                data.transport.departure_date.isoformat() if data.transport.departure_date else None
            ),
        },
        "invoices": [{"number": i.number, "date": i.date.isoformat()} for i in invoices],
        "items": [
            _item(line, printed, preferential=preferential)
            for line, printed in zip(application.items.all(), data.items, strict=True)
        ],
        "declaration": {
            "name": data.declaration.name,
            "designation": data.declaration.designation,
            "place": data.declaration.place,
            "date": data.declaration.date.isoformat(),
        },
        "remarks": data.remarks,
        "inLieuOf": data.in_lieu_of or None,
        "certifiedTrueCopyOf": data.certified_copy_of or None,
    }
    if data.self_declaration:
        # The exporter's own statement (India-EFTA TEPA): no agency or officer certified it;
        # the portal signed it for the record. Said in the credential as on the PDF.
        subject["selfDeclaration"] = True
        subject["certifiedByAgency"] = False
        subject["certifyingOfficer"] = None
    if pdf_sha256 is not None:
        subject["pdfDocument"] = {"mediaType": "application/pdf", "sha256": pdf_sha256}
    return subject


def _item(line: Any, printed: Any, *, preferential: bool) -> dict[str, Any]:
    return {
        "position": printed.position,
        "marksAndNumbers": printed.marks,
        "packageCount": printed.package_count,
        "packageKind": printed.package_kind,
        "description": printed.description,
        "hsCode": printed.hs_code,
        "originCriterion": printed.criterion_display if preferential else None,
        "quantity": {
            "type": "QuantitativeValue",
            "value": _decimal(line.quantity),
            "unitText": line.unit,
        },
        # KGM: kilogram in UN/ECE Recommendation 20, the codes schema.org's unitCode takes.
        "grossWeight": {
            "type": "QuantitativeValue",
            "value": _decimal(line.gross_weight_kg),
            "unitCode": "KGM",
        },
        "fobValue": {
            "type": "MonetaryAmount",
            "value": _decimal(line.fob_value),
            "currency": line.fob_currency,
        },
    }


def credential_document(
    *,
    credential_id: str,
    agency: IssuingAgency,
    issued_at: datetime,
    subject: dict[str, Any],
    entry: Credential,
    agreement_code: str = "",
) -> dict[str, Any]:
    list_url = status_list_url(agency.code, entry.list_number)
    messages_url = status_list_url(agency.code, entry.list_number, purpose="message")
    return {
        "@context": [VC_CONTEXT, context_url()],
        "id": credential_id,
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": {"id": agency_did(agency.code), "name": agency.name},
        "validFrom": issued_at.isoformat(timespec="seconds"),
        "validUntil": valid_until(issued_at=issued_at, agreement_code=agreement_code).isoformat(
            timespec="seconds"
        ),
        "name": subject["title"],
        "credentialSubject": subject,
        # Two entries at the same index: the revocation bit every verifier reads, and the
        # message (valid, revoked, superseded) for one that wants to know why.
        "credentialStatus": [
            {
                "id": f"{list_url}#{entry.status_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(entry.status_index),
                "statusListCredential": list_url,
            },
            {
                "id": f"{messages_url}#{entry.status_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "message",
                "statusListIndex": str(entry.status_index),
                "statusListCredential": messages_url,
                "statusSize": STATUS_MESSAGE_SIZE,
                "statusMessage": STATUS_MESSAGES,
            },
        ],
    }


def credential_sign(document: dict[str, Any], *, agency_code: str) -> str:
    """JWS compact serialisation (ES256) of the credential: application/vc+jwt.

    The payload is the credential itself, as "Securing Verifiable Credentials using JOSE and
    COSE" says; `typ` names the media type and `kid` the key in the issuer's DID document.
    """
    header = {"alg": ALGORITHM, "typ": "vc+jwt", "cty": "vc", "kid": agency_kid(agency_code)}
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return jws.serialize_compact(
        header, payload, credential_key(agency_code), algorithms=[ALGORITHM]
    )


# ---------------------------------------------------------------------------------------------
# Attaching it to the PDF (before signing)
# ---------------------------------------------------------------------------------------------


def credential_attach(pdf: bytes, token: str) -> bytes:
    """The PDF with the credential as an embedded file (an incremental update, so the rendered
    bytes stay as they are). Marked as the PDF's associated file with relationship
    /Alternative: it says the same as the page, for machines."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    data = EmbeddedFileObject.from_file_data(
        writer,
        token.encode("ascii"),
        params=EmbeddedFileParams(embed_size=True, embed_checksum=True),
        mime_type=MEDIA_TYPE,
    )
    spec = FileSpec(
        file_spec_string=ATTACHMENT_NAME,
        file_name=ATTACHMENT_NAME,
        embedded_data=data,
        description="W3C Verifiable Credential of this certificate (application/vc+jwt)",
        af_relationship=NameObject("/Alternative"),
    )
    embed_file(writer, spec)
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # pyHanko leaves this one unannotated
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Issuance hooks
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedCredential:
    entry: Credential
    document: dict[str, Any]
    pdf: bytes  # the rendered PDF with the credential attached, ready to sign


def _status_reserve(agency: IssuingAgency, credential_id: str) -> Credential:
    """A Credential row at a random free index of the agency's open list.

    Each insert runs in a savepoint: if a concurrent issuance (another office of the agency)
    took the same index, only that insert is undone and another index is tried.
    """
    taken = Credential.objects.filter(agency=agency).count()
    list_number = taken // STATUS_LIST_FILL
    for _ in range(INDEX_TRIES):
        index = secrets.randbelow(STATUS_LIST_SIZE)
        if Credential.objects.filter(
            agency=agency, list_number=list_number, status_index=index
        ).exists():
            continue
        try:
            with transaction.atomic():
                return Credential.objects.create(
                    agency=agency,
                    list_number=list_number,
                    status_index=index,
                    credential_id=credential_id,
                )
        except IntegrityError:
            continue
    raise CredentialError(f"No free status list index found for {agency.code}.")


@in_english
def credential_prepare(
    *, application: Application, data: CertificateData, issued_at: datetime, pdf: bytes
) -> PreparedCredential:
    """Reserve the status entry, sign the credential (without the PDF's hash) and attach it to
    the rendered PDF. Must run inside the issuance transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("credential_prepare() must run inside transaction.atomic().")
    agency = application.agency
    entry = _status_reserve(agency, f"urn:uuid:{uuid.uuid4()}")
    document = credential_document(
        credential_id=entry.credential_id,
        agency=agency,
        issued_at=issued_at,
        subject=credential_subject(application=application, data=data, pdf_sha256=None),
        entry=entry,
        agreement_code=data.agreement_code,
    )
    token = credential_sign(document, agency_code=agency.code)
    return PreparedCredential(entry=entry, document=document, pdf=credential_attach(pdf, token))


def credential_register(*, prepared: PreparedCredential, certificate: Certificate) -> Credential:
    """Bind the entry to the new certificate and sign the downloadable credential: the
    embedded one plus the SHA-256 of the signed PDF (see the module docstring)."""
    document = prepared.document
    subject = {
        **document["credentialSubject"],
        "pdfDocument": {"mediaType": "application/pdf", "sha256": certificate.sha256},
    }
    entry = prepared.entry
    entry.certificate = certificate
    entry.jwt = credential_sign(
        {**document, "credentialSubject": subject}, agency_code=entry.agency.code
    )
    entry.save(update_fields=["certificate", "jwt", "updated_at"])
    return entry


def credential_discard(*, prepared: PreparedCredential) -> None:
    """Give back the status entry of a credential that was never issued (its PDF was not
    signed, or another run of the same issuance finished first): nothing names it."""
    Credential.objects.filter(pk=prepared.entry.pk, certificate__isnull=True).delete()


def credential_revoke(*, certificate: Certificate) -> None:
    """Set the certificate's bit on its agency's status list (revoked or superseded). Called
    in the transaction that changes the certificate's status, so both commit or neither."""
    Credential.objects.filter(certificate=certificate).update(
        revoked=True, updated_at=timezone.now()
    )
