"""What a successful lookup shows, rendered once per certificate and state.

An Answer carries the answer three ways: the whole page as an anonymous visitor without
cookies sees it (a scanned QR code, a script), the same answer without the page layout (for
visitors the layout greets by name), and the API's JSON document. It is plain text, so that
verification/store.py can keep it in Redis and most lookups read neither the database nor a
template.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_countries import countries

from applications.models import Application, Invoice, LineItem
from certificates.models import Certificate

from . import selectors
from .forms import VerifyForm

_MARK = "NUMBERMARK"


@functools.lru_cache(maxsize=8)
def _route(name: str) -> tuple[str, str]:
    """The route's path around its number, reversed once: reverse() was a fifth of the cost
    of building an answer (three to six links each)."""
    before, after = reverse(name, kwargs={"number": _MARK}).split(_MARK)
    return before, after


def _path(name: str, number: str, code: str) -> str:
    before, after = _route(name)
    # Quoted as reverse() quotes a path: tests/verification/test_verification_answers.py.
    number = quote(number, safe=RFC3986_SUBDELIMS + "/~:@")
    return f"{before}{number}{after}?{urlencode({'code': code})}"


def verify_path(certificate: Certificate) -> str:
    """The QR link's path: /verify/<number>/?code=<code>."""
    return _path(
        "verification:verify-certificate", certificate.number, certificate.verification_code
    )


def pdf_path(certificate: Certificate) -> str:
    return _path("verification:pdf", certificate.number, certificate.verification_code)


def credential_path(certificate: Certificate) -> str:
    return _path(
        "verification:credential-download", certificate.number, certificate.verification_code
    )


# What an answer is built as: the page (its body without the layout, and the whole page for a
# visitor without cookies), the API's JSON document, or neither (the PDF and credential
# downloads only need to know that number and code match).
PAGE = "page"
DOCUMENT = "document"
KINDS = frozenset({PAGE, DOCUMENT})
# The kept fields of each kind (verification/store.py).
KIND_FIELDS = {PAGE: ("body", "page"), DOCUMENT: ("document",)}


@dataclass(frozen=True)
class Answer:
    certificate_id: int
    title: str
    body: SafeString  # the answer, without the layout ("" if the page was not asked for)
    page: str  # the whole page, for an anonymous visitor without cookies (likewise)
    document: str  # the API's JSON ("" if it was not asked for)

    def as_text(self) -> dict[str, str]:
        """The fields as strings, for storing: those of the kinds that were built."""
        fields = {"id": str(self.certificate_id), "title": self.title}
        if self.page:
            fields |= {"body": str(self.body), "page": self.page}
        if self.document:
            fields["document"] = self.document
        return fields

    @classmethod
    def from_text(cls, fields: dict[str, str]) -> Answer:
        # The HTML was rendered and escaped by answer_build before it was stored.
        return cls(
            certificate_id=int(fields["id"]),
            title=fields["title"],
            body=mark_safe(fields.get("body", "")),  # noqa: S308
            page=fields.get("page", ""),
            document=fields.get("document", ""),
        )


def _anonymous_request() -> HttpRequest:
    """A request as a first-time visitor's: no session, no messages, not signed in."""
    request = HttpRequest()
    request.user = AnonymousUser()
    return request


def _scaled(text: str, places: int) -> Decimal:
    # As Django's DecimalField reads it: the field's scale whatever the database returned
    # (PostgreSQL's numeric text has it; SQLite's does not: "450.5", "1200").
    return Decimal(text).quantize(Decimal(1).scaleb(-places))


_QUANTITY = LineItem._meta.get_field("quantity").decimal_places
_WEIGHT = LineItem._meta.get_field("gross_weight_kg").decimal_places
_VALUE = LineItem._meta.get_field("fob_value").decimal_places
_STATUS = dict(Certificate.Status.choices)
_TYPES = dict(Application._meta.get_field("certificate_type").flatchoices)


def _country(code: str) -> dict[str, str] | None:
    return {"code": code, "name": countries.name(code)} if code else None


def answer_facts(row: dict[str, Any]) -> dict[str, Any]:
    """What the answer shows, from selectors.certificate_answer_row: the shape the templates
    read from a certificate (certificate.application.office.name, ...) in plain dicts."""
    replacement = (
        {"number": row["superseded_by__number"], "code": row["superseded_by__verification_code"]}
        if row["superseded_by__number"]
        else None
    )
    agreement = (
        {"code": row["application__agreement__code"], "name": row["application__agreement__name"]}
        if row["application__agreement__code"]
        else None
    )
    goods = sorted(row["goods"] or (), key=lambda item: item["position"])
    items = [
        {
            **item,
            "quantity": _scaled(item["quantity"], _QUANTITY),
            "gross_weight_kg": _scaled(item["gross_weight_kg"], _WEIGHT),
            "fob_value": _scaled(item["fob_value"], _VALUE),
        }
        for item in goods
    ]
    invoices = [
        {"number": i["number"], "date": dt.date.fromisoformat(i["date"][:10]), "id": i["id"]}
        for i in row["invoice_rows"] or ()
    ]
    invoices.sort(key=lambda i: (i["date"], i["id"]))
    imports = [
        {
            **u,
            "entry_date": dt.date.fromisoformat(u["entry_date"][:10]),
            "quantity": _scaled(u["quantity"], _QUANTITY),
            "country": _country(u["country"]),
        }
        for u in row.get("utilisation_rows") or ()
    ]
    imports.sort(key=lambda u: u["id"])
    certificate_type = row["application__certificate_type"]
    return {
        "pk": row["id"],
        "number": row["number"],
        "verification_code": row["verification_code"],
        "sha256": row["sha256"],
        "status": row["status"],
        "get_status_display": _STATUS.get(row["status"], row["status"]),
        # As Certificate.is_valid and its siblings: templates never compare a literal status.
        "is_valid": row["status"] == Certificate.Status.VALID,
        "is_revoked": row["status"] == Certificate.Status.REVOKED,
        "is_superseded": row["status"] == Certificate.Status.SUPERSEDED,
        "issued_at": row["issued_at"],
        "offline_until": row["offline_until"],
        "revoked_at": row["revoked_at"],
        "revocation_reason": row["revocation_reason"],
        "exporter_name": row["exporter_name"],
        "superseded_by": replacement,
        "application": {
            "certificate_type": certificate_type,
            "get_certificate_type_display": _TYPES.get(certificate_type, certificate_type),
            "agreement": agreement,
            "agency": {
                "code": row["application__agency__code"],
                "name": row["application__agency__name"],
                # India-EFTA's self-declaration: the exporter's statement, no agency certifies.
                "self_declaration": bool(row["application__agency__self_declaration"]),
            },
            "office": {
                "code": row["application__office__code"],
                "name": row["application__office__name"],
                "city": row["application__office__city"],
            },
            "destination_country": _country(row["application__destination_country"]),
            "consignee_country": _country(row["application__consignee_country"]),
            "consignee_name": row["application__consignee_name"],
            # A certified true copy: the certificate whose original was lost (number, date).
            "certified_copy_of": (
                {
                    "number": row["application__certified_copy_of__number"],
                    "issued_at": row["application__certified_copy_of__issued_at"],
                }
                if row.get("application__certified_copy_of__number")
                else None
            ),
        },
        "items": items,
        "invoices": invoices,
        "utilisation": {
            "single_import": bool(row.get("application__agreement__single_import")),
            "imports": imports,
        },
    }


def _facts_of(
    certificate: Certificate, items: list[LineItem], invoices: list[Invoice]
) -> dict[str, Any]:
    """The same facts from model instances (selectors.certificate_by_number and friends)."""
    c, application = certificate, certificate.application
    replacement = c.superseded_by
    row = {
        "id": c.pk,
        "number": c.number,
        "verification_code": c.verification_code,
        "sha256": c.sha256,
        "status": c.status,
        "issued_at": c.issued_at,
        "offline_until": c.offline_until,
        "revoked_at": c.revoked_at,
        "revocation_reason": c.revocation_reason,
        "superseded_by__number": replacement.number if replacement else None,
        "superseded_by__verification_code": replacement.verification_code if replacement else None,
        "application__certificate_type": application.certificate_type,
        "application__consignee_name": application.consignee_name,
        "application__destination_country": application.destination_country.code,
        "application__consignee_country": application.consignee_country.code or "",
        "application__agency__code": application.agency.code,
        "application__agency__name": application.agency.name,
        "application__office__code": application.office.code,
        "application__office__name": application.office.name,
        "application__office__city": application.office.city,
        "application__agreement__code": application.agreement.code
        if application.agreement
        else None,
        "application__agreement__name": application.agreement.name
        if application.agreement
        else None,
        "application__agreement__single_import": application.agreement.single_import
        if application.agreement
        else False,
        "application__certified_copy_of__number": application.certified_copy_of.number
        if application.certified_copy_of
        else None,
        "application__certified_copy_of__issued_at": application.certified_copy_of.issued_at
        if application.certified_copy_of
        else None,
        "utilisation_rows": [
            {
                "id": u.pk,
                "entry_number": u.entry_number,
                "entry_date": u.entry_date.isoformat(),
                "port": u.port,
                "item_position": u.item_position,
                "quantity": str(u.quantity),
                "organisation": u.organisation.name,
                "country": u.organisation.country.code,
            }
            for u in c.utilisations.filter(outcome="recorded").select_related("organisation")
        ],
        "exporter_name": getattr(c, "exporter_name", ""),
        "goods": [
            {
                "position": i.position,
                "description": i.description,
                "hs_code": i.hs_code,
                "quantity": str(i.quantity),
                "unit": i.unit,
                "gross_weight_kg": str(i.gross_weight_kg),
                "fob_value": str(i.fob_value),
                "fob_currency": i.fob_currency,
            }
            for i in items
        ],
        "invoice_rows": [
            {"id": i.pk, "number": i.number, "date": i.date.isoformat()} for i in invoices
        ],
    }
    return answer_facts(row)


def answer_from_facts(facts: dict[str, Any], kinds: frozenset[str] = KINDS) -> Answer:
    """Build the answer's kinds that were asked for, each once: the page renders two templates
    (the answer, then the layout around it), the API's document none. In the default language
    whoever asked first: the answer is kept and served to every reader (answer_in_language
    builds a Hindi reader's)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _answer_from_facts(facts, kinds)


def answer_in_language(number: str) -> Answer | None:
    """The answer page in the active language, not kept (a reader who chose Hindi)."""
    row = selectors.certificate_answer_row(number)
    if row is None:
        return None
    return _answer_from_facts(answer_facts(row), frozenset({PAGE}))


def _answer_from_facts(facts: dict[str, Any], kinds: frozenset[str]) -> Answer:
    title = _("Certificate %(number)s: %(status)s") % {
        "number": facts["number"],
        "status": _(facts["get_status_display"]),
    }
    answer = Answer(
        certificate_id=facts["pk"], title=title, body=mark_safe(""), page="", document=""
    )
    if DOCUMENT in kinds:
        document = facts_document(facts)
        answer = replace(answer, document=json.dumps(document, cls=DjangoJSONEncoder))
    if PAGE in kinds:
        code = facts["verification_code"]
        replacement = facts["superseded_by"]
        context = {
            "certificate": facts,
            "items": facts["items"],
            "invoices": facts["invoices"],
            "pdf_url": _path("verification:pdf", facts["number"], code),
            "credential_url": _path("verification:credential-download", facts["number"], code),
            "subscribe_url": _path("verification:subscribe", facts["number"], code),
            "request_url": _path("verification:request-new", facts["number"], code),
            "replacement_url": (
                _path("verification:verify-certificate", replacement["number"], replacement["code"])
                if replacement
                else ""
            ),
        }
        body = render_to_string("verification/_answer.html", context, request=_anonymous_request())
        answer = replace(answer, body=mark_safe(body))  # noqa: S308 (autoescaped just above)
        head, middle, tail = _page_shell(translation.get_language())
        answer = replace(answer, page=f"{head}{escape(title)}{middle}{body}{tail}")
    return answer


_TITLE, _BODY = "\x00title\x00", "\x00body\x00"


@functools.lru_cache(maxsize=4)
def _page_shell(language: str) -> tuple[str, str, str]:
    """verification/answer.html (the site layout) as an anonymous visitor without cookies sees
    it, cut where the title and the answer go: rendered once per process instead of once per
    answer. For that visitor the layout depends on settings alone (no user, no messages, no
    form), and a change of settings clears it (tests)."""
    placeholder = Answer(0, _TITLE, mark_safe(_BODY), "", "")  # noqa: S308 (a constant)
    page = render_to_string(
        "verification/answer.html", {"answer": placeholder}, request=_anonymous_request()
    )
    head, rest = page.split(_TITLE)
    middle, tail = rest.split(_BODY)
    return head, middle, tail


@functools.lru_cache(maxsize=1)
def not_found_page() -> str:
    """The "no certificate matches" page as a visitor without cookies sees it: the same for a
    wrong number, a wrong code or both, so rendered once per process. A wrong code then costs
    no more than a found answer (issue 34)."""
    context = {"form": VerifyForm(), "not_found": True}
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("verification/verify.html", context, request=_anonymous_request())


@receiver(setting_changed)
def _settings_changed(**kwargs: Any) -> None:
    _page_shell.cache_clear()
    _route.cache_clear()
    not_found_page.cache_clear()


def answer_build(
    certificate: Certificate, items: list[LineItem], invoices: list[Invoice]
) -> Answer:
    """Render every kind of the answer for a certificate read by selectors.certificate_by_number."""
    return answer_from_facts(_facts_of(certificate, items, invoices))


def certificate_document(
    certificate: Certificate, items: list[LineItem], invoices: list[Invoice]
) -> dict[str, Any]:
    """The API's document for model instances (see facts_document)."""
    return facts_document(_facts_of(certificate, items, invoices))


def facts_document(facts: dict[str, Any]) -> dict[str, Any]:
    """The facts the verification page shows, for customs and bank systems: what a customs
    officer compares box by box with a paper copy."""
    c = facts
    application = c["application"]
    agreement = application["agreement"]
    replacement = c["superseded_by"]
    number, code = c["number"], c["verification_code"]
    return {
        "number": number,
        "status": c["status"],
        "issued_at": c["issued_at"].isoformat(),
        "revoked_at": c["revoked_at"].isoformat() if c["revoked_at"] else None,
        "revocation_reason": c["revocation_reason"] or None,
        # Until when the PDF (pdf_url) verifies offline, from what it embeds (PAdES B-LTA).
        "pdf_verifies_offline_until": (
            c["offline_until"].isoformat() if c.get("offline_until") else None
        ),
        "superseded_by": (
            {
                "number": replacement["number"],
                "verification_url": settings.SITE_URL
                + _path(
                    "verification:verify-certificate", replacement["number"], replacement["code"]
                ),
            }
            if replacement
            else None
        ),
        "certificate_type": application["certificate_type"],
        "certified_true_copy_of": (
            {
                "number": application["certified_copy_of"]["number"],
                "issued_at": application["certified_copy_of"]["issued_at"].isoformat(),
            }
            if application.get("certified_copy_of")
            else None
        ),
        "agreement": agreement,
        "issuing_agency": {
            "code": application["agency"]["code"],
            "name": application["agency"]["name"],
        },
        # The exporter's own statement on origin (India-EFTA TEPA), certified by no agency.
        "self_declaration": application["agency"]["self_declaration"],
        "office": application["office"],
        "exporter": {"name": c["exporter_name"]},
        "destination_country": application["destination_country"],
        "consignee": {"name": application["consignee_name"]},
        "invoices": [{"number": i["number"], "date": i["date"].isoformat()} for i in c["invoices"]],
        "consignee_country": application["consignee_country"],
        "items": [
            {
                "position": item["position"],
                "description": item["description"],
                "hs_code": item["hs_code"],
                "quantity": str(item["quantity"]),
                "unit": item["unit"],
                "gross_weight_kg": str(item["gross_weight_kg"]),
                "fob_value": {"amount": str(item["fob_value"]), "currency": item["fob_currency"]},
            }
            for item in c["items"]
        ],
        "sha256": c["sha256"],
        "pdf_url": settings.SITE_URL + _path("verification:pdf", number, code),
        # The Verifiable Credential (vc+jwt); 404 for a certificate issued before credentials.
        "credential_url": settings.SITE_URL
        + _path("verification:credential-download", number, code),
        "verification_url": settings.SITE_URL
        + _path("verification:verify-certificate", number, code),
        # The imports confirmed verifiers recorded (verification/utilisation.py): under a
        # one-import agreement, a certificate with one is used up.
        "utilisation": {
            "single_import": c["utilisation"]["single_import"],
            "used_up": c["utilisation"]["single_import"] and bool(c["utilisation"]["imports"]),
            "imports": [
                {
                    "entry_number": u["entry_number"],
                    "entry_date": u["entry_date"].isoformat(),
                    "port": u["port"],
                    "item": u["item_position"],
                    "quantity": str(u["quantity"]),
                    "recorded_by": {"name": u["organisation"], "country": u["country"]},
                }
                for u in c["utilisation"]["imports"]
            ],
        },
        # The certificate's leaves in its agency's transparency log, each with its inclusion
        # proof against the latest signed tree head (verification/transparency.py).
        "transparency": c.get("transparency"),
    }
