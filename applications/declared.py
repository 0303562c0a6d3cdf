"""What a signatory declares, exactly: the application's canonical text and its SHA-256, and
whether the declaration signed last still covers the application as it is now.

The canonical text is JSON with sorted keys, no insignificant whitespace and UTF-8 text
(`ensure_ascii=False`): the application's reference, firm, certificate, parties, transport,
remarks, declaration, invoices, goods (every field, in position order) and documents (kind and
SHA-256 of each file). Every value is a string, a boolean or a list/object of them; decimals
are written without trailing zeros ("120.5", not "120.500") and dates as ISO 8601, so the same
application gives the same bytes on SQLite and PostgreSQL and before and after a reload. A
version tag leads the text, so that a later change of what is covered cannot make an old
signature's hash ambiguous. docs/esign.md describes it for an outside checker.

Signing itself (the one-time code, the eSign adapter) is applications/declaration.py.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import FirmMember, User

from .models import LINE_ITEM_FIELDS, PARTICULAR_FIELDS, Application, DeclarationSignature

CANONICAL_VERSION = "coo-declaration/1"

HEADER_FIELDS = (
    "certificate_type",
    "destination_country",
    *PARTICULAR_FIELDS,
    "declaration_name",
    "declaration_designation",
    "declaration_place",
    "declaration_date",
    "declaration_accepted",
)


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    if isinstance(value, datetime | date):
        return value.isoformat()
    code = getattr(value, "code", None)  # a django-countries Country
    if isinstance(code, str):
        return code
    return str(value)


def declared_facts(application: Application) -> dict[str, Any]:
    """The facts a declaration covers (uses the prefetched invoices, items and documents)."""
    return {
        "version": CANONICAL_VERSION,
        "reference": application.reference,
        "firm": {"iec": application.firm.iec, "name": application.firm.firm_name},
        "agreement": application.agreement.code if application.agreement else "",
        "agency": application.agency.code,
        "office": application.office.code,
        **{name: _value(getattr(application, name)) for name in HEADER_FIELDS},
        "invoices": sorted(
            (
                [_value(i.number), _value(i.date), _value(i.currency)]
                for i in application.invoices.all()
            ),
        ),
        "goods": [
            {
                "position": str(item.position),
                **{f: _value(getattr(item, f)) for f in LINE_ITEM_FIELDS},
            }
            for item in sorted(application.items.all(), key=lambda i: (i.position, i.pk))
        ],
        "documents": sorted([d.kind, d.sha256] for d in application.documents.all()),
    }


def declared_text(application: Application) -> str:
    return json.dumps(
        declared_facts(application), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def declared_sha256(application: Application) -> str:
    return hashlib.sha256(declared_text(application).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Who signs, and whether the signature still holds
# ---------------------------------------------------------------------------------------------


def signer_capacity(user: User, application: Application) -> str:
    """In what capacity `user` declares for the application's firm, as box 11 prints it:
    "Kiran Logistics, customs broker" for an agent's staff, "signatory of Shakti Spices LLP"
    (their role) for a member."""
    agent = application.filed_by_agent
    staff = getattr(user, "agent_staff", None) if user.is_agent else None
    if staff is not None:
        agent = staff.agent
        return f"{agent.name}, {agent.get_kind_display().lower()}"
    member = FirmMember.objects.filter(user_id=user.pk, firm_id=application.firm_id).first()
    if member is not None:
        return f"{member.get_role_display().lower()} of {application.firm.firm_name}"
    if agent is not None:
        return f"{agent.name}, {agent.get_kind_display().lower()}"
    return f"for {application.firm.firm_name}"


def masked_number(number: str) -> str:
    """+919876541234 -> "+91 ******1234"."""
    country = "+91 " if number.startswith("+91") else ""
    return f"{country}******{number[-4:]}" if len(number) >= 4 else "******"


def _who(name: str, capacity: str, firm: str) -> str:
    """ "Kiran Rao, Kiran Logistics, customs broker, on behalf of Shakti Spices LLP";
    "Sam Iyer, signatory of Shakti Spices LLP"."""
    if capacity.endswith(f" of {firm}"):
        return f"{name}, {capacity}"
    return f"{name}, {capacity}, on behalf of {firm}"


def signed_line(signature: DeclarationSignature) -> str:
    """Box 11's and the acknowledgement's words for a signature."""
    when = timezone.localtime(signature.signed_at or signature.code_sent_at)
    who = _who(signature.signer_name, signature.capacity, signature.on_behalf_of)
    if signature.method == DeclarationSignature.Method.ESIGN:
        how = "with an eSign signature"
    else:
        how = f"with a code sent to {masked_number(signature.mobile)}"
    return f"Signed electronically by {who}, {how} on {when:%d %b %Y, %H:%M} IST"


def signature_latest(application: Application) -> DeclarationSignature | None:
    """The declaration signed last (whatever it covered), or None. One query."""
    return (
        DeclarationSignature.objects.filter(application_id=application.pk, signed_at__isnull=False)
        .order_by("-signed_at", "-id")
        .first()
    )


def signature_current(application: Application) -> DeclarationSignature | None:
    """The last signature if it still covers the application as it is now; else None."""
    signature = signature_latest(application)
    if signature is None or signature.content_sha256 != declared_sha256(application):
        return None
    return signature


def declaration_statement(application: Application) -> str:
    """Who declared, in what capacity, for whom, and how: the signature that covers the
    application; for one submitted before declarations were signed, the person who
    submitted it."""
    signature = signature_current(application)
    if signature is not None:
        return signed_line(signature)
    firm = application.firm.firm_name
    user = application.submitted_by
    if user is None:
        return f"Declared electronically on the COO Portal for {firm}"
    name = user.get_full_name() or user.username
    who = _who(name, signer_capacity(user, application), firm)
    return f"Declared electronically on the COO Portal by {who}"
