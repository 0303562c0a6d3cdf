"""What a successful lookup shows, rendered once per certificate and state.

An Answer carries the answer three ways: the whole page as an anonymous visitor without
cookies sees it (a scanned QR code, a script), the same answer without the page layout (for
visitors the layout greets by name), and the API's JSON document. It is plain text, so that
verification/store.py can keep it in Redis and most lookups read neither the database nor a
template.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from applications.models import Invoice, LineItem
from certificates.models import Certificate


def verify_path(certificate: Certificate) -> str:
    """The QR link's path: /verify/<number>/?code=<code>."""
    url = reverse("verification:verify-certificate", kwargs={"number": certificate.number})
    return f"{url}?{urlencode({'code': certificate.verification_code})}"


def pdf_path(certificate: Certificate) -> str:
    url = reverse("verification:pdf", kwargs={"number": certificate.number})
    return f"{url}?{urlencode({'code': certificate.verification_code})}"


def credential_path(certificate: Certificate) -> str:
    url = reverse("verification:credential-download", kwargs={"number": certificate.number})
    return f"{url}?{urlencode({'code': certificate.verification_code})}"


@dataclass(frozen=True)
class Answer:
    certificate_id: int
    title: str
    body: SafeString  # the answer, without the layout
    page: str  # the whole page, for an anonymous visitor without cookies
    document: str  # the API's JSON

    def as_text(self) -> dict[str, str]:
        """The fields as strings, for storing."""
        return {
            "id": str(self.certificate_id),
            "title": self.title,
            "body": str(self.body),
            "page": self.page,
            "document": self.document,
        }

    @classmethod
    def from_text(cls, fields: dict[str, str]) -> Answer:
        # The HTML was rendered and escaped by answer_build before it was stored.
        return cls(
            certificate_id=int(fields["id"]),
            title=fields["title"],
            body=mark_safe(fields["body"]),  # noqa: S308
            page=fields["page"],
            document=fields["document"],
        )


def _anonymous_request() -> HttpRequest:
    """A request as a first-time visitor's: no session, no messages, not signed in."""
    request = HttpRequest()
    request.user = AnonymousUser()
    return request


def answer_build(
    certificate: Certificate, items: list[LineItem], invoices: list[Invoice]
) -> Answer:
    """Render the answer for a certificate read by selectors.certificate_by_number."""
    replacement = certificate.superseded_by
    context = {
        "certificate": certificate,
        "items": items,
        "invoices": invoices,
        "pdf_url": pdf_path(certificate),
        "credential_url": credential_path(certificate),
        "replacement_url": verify_path(replacement) if replacement else "",
    }
    request = _anonymous_request()
    body = render_to_string("verification/_answer.html", context, request=request)
    title = f"Certificate {certificate.number}: {certificate.get_status_display()}"
    document = certificate_document(certificate, items, invoices)
    answer = Answer(
        certificate_id=certificate.pk,
        title=title,
        body=mark_safe(body),  # noqa: S308 (rendered with autoescaping just above)
        page="",
        document=json.dumps(document, cls=DjangoJSONEncoder),
    )
    page = render_to_string("verification/answer.html", {"answer": answer}, request=request)
    return replace(answer, page=page)


def certificate_document(
    certificate: Certificate, items: list[LineItem], invoices: list[Invoice]
) -> dict[str, Any]:
    """The facts the verification page shows, for customs and bank systems: what a customs
    officer compares box by box with a paper copy."""
    c = certificate
    application = c.application
    agreement = application.agreement
    replacement = c.superseded_by
    return {
        "number": c.number,
        "status": c.status,
        "issued_at": c.issued_at.isoformat(),
        "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        "revocation_reason": c.revocation_reason or None,
        "superseded_by": (
            {
                "number": replacement.number,
                "verification_url": settings.SITE_URL + verify_path(replacement),
            }
            if replacement
            else None
        ),
        "certificate_type": application.certificate_type,
        "agreement": {"code": agreement.code, "name": agreement.name} if agreement else None,
        "issuing_agency": {"code": application.agency.code, "name": application.agency.name},
        "office": {
            "code": application.office.code,
            "name": application.office.name,
            "city": application.office.city,
        },
        "exporter": {"name": c.exporter_name},
        "destination_country": {
            "code": application.destination_country.code,
            "name": application.destination_country.name,
        },
        "consignee": {"name": application.consignee_name},
        "invoices": [{"number": i.number, "date": i.date.isoformat()} for i in invoices],
        "consignee_country": (
            {"code": application.consignee_country.code, "name": application.consignee_country.name}
            if application.consignee_country
            else None
        ),
        "items": [
            {
                "position": item.position,
                "description": item.description,
                "hs_code": item.hs_code,
                "quantity": str(item.quantity),
                "unit": item.unit,
                "gross_weight_kg": str(item.gross_weight_kg),
                "fob_value": {"amount": str(item.fob_value), "currency": item.fob_currency},
            }
            for item in items
        ],
        "sha256": c.sha256,
        "pdf_url": settings.SITE_URL + pdf_path(c),
        # The Verifiable Credential (vc+jwt); 404 for a certificate issued before credentials.
        "credential_url": settings.SITE_URL + credential_path(c),
        "verification_url": settings.SITE_URL + verify_path(c),
    }
