"""Every named URL of the portal, and how to fill its arguments from the security world."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import AgentStaff
from tests.accounts.agent_factories import AgentAuthorisationFactory, AgentFactory
from tests.applications.wallet_helpers import world_top_up

from .conftest import World

# Django's admin is the admin's business (OTPAdminSite, tested in tests/officer); the CAPTCHA
# views are django-simple-captcha's.
EXCLUDED_PREFIXES = ("admin:", "captcha-")


def _walk(patterns, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(
                p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace
            )
        elif p.name:
            yield f"{namespace}{p.name}", p


def named_urls() -> dict[str, URLPattern]:
    """name -> pattern for every named URL we own (the first pattern of a name wins, as in
    reverse())."""
    found: dict[str, URLPattern] = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        if not name.startswith(EXCLUDED_PREFIXES):
            found.setdefault(name, pattern)
    return found


def url_kwargs(world: World) -> dict[str, str]:
    """A value for every URL argument, taken from Alice's world."""
    return {
        "reference": world.application.reference,
        "invoice_id": str(world.invoice.pk),
        "item_id": str(world.item.pk),
        "document_id": str(world.document.pk),
        "order_id": world.payment.order_id,
        "key": world.certificate.number,
        "number": world.certificate.number,
        "agency": world.certificate.application.agency.code,
        "list_number": "0",
        # Payments and the agency's accounts (issue 26).
        "agency_code": world.certificate.application.agency.code,
        "year": "2026",
        "month": "12",
        "section": "b2b",
        "day": "2026-12-07",
        "tree_size": "1",  # the transparency log's heads (none in the world: 404)
        # The fee wallet: Alice's top-up and its receipt.
        "topup_order_id": world_top_up(world.alice).order_id,
        "tax_invoice_id": str(world_top_up(world.alice).tax_invoice.pk),
        # The firm's Agents page: an authorisation of Kiran Logistics by Alice's firm.
        "authorisation_id": str(world_authorisation(world).pk),
        # The firm's people: Priya's membership of Alice's firm, Alice's open invitation.
        "member_id": str(world.member.pk),
        "invitation_id": str(world.invitation.pk),
        # An agent's staff: Kiran's own row when Kiran is in the world, else nobody's.
        "staff_id": str(
            AgentStaff.objects.filter(agent__licence_number="CB/MUM/KIRAN")
            .values_list("pk", flat=True)
            .first()
            or 999999
        ),
        # Issue 31: Olivia (who signed the certificate), a report, an export nobody made.
        "officer_id": str(world.certificate.signing_officer_id),
        "report": "received",
        "export_id": "00000000-0000-4000-8000-000000000031",
        # The API access pages (issue 30): ids of nothing (a POST-only view, or nobody's).
        "token_id": "999999",
        # Verification requests (issue 32): ids of nothing (each persona's own are tested in
        # tests/verification/test_verification_requests.py).
        "request_id": "999999",
        "attachment_id": "999999",
        "delivery_id": "999999",
        "bulk_id": "999999",
        # An upload being checked: none in the world (test_upload_checked_off_thread.py has
        # Alice's answer and Bob's 404).
        "check_id": "999999",
        # Links from emails: a made-up token, which every page must refuse the same way.
        "uidb64": "MQ",
        "token": "c0ffee-0123456789abcdef",
    }


def world_authorisation(world: World):
    """Alice's firm's authorisation of Kiran Logistics (made once, then found again)."""
    firm = world.alice.exporter_profile.iec_record
    agent = AgentFactory(licence_number="CB/MUM/KIRAN", name="Kiran Logistics")
    found = agent.authorisations.filter(firm=firm).order_by("pk").first()
    return found or AgentAuthorisationFactory(firm=firm, agent=agent, granted_by=world.alice)


def url_for(name: str, pattern: URLPattern, world: World) -> str:
    values = url_kwargs(world)
    converters = getattr(pattern.pattern, "converters", {})
    missing = set(converters) - set(values)
    assert not missing, f"{name}: no value for URL argument(s) {sorted(missing)}"
    url = reverse(name, kwargs={k: values[k] for k in converters})
    query = _query(name, world)
    return f"{url}?{urlencode(query)}" if query else url


def _query(name: str, world: World) -> dict[str, str]:
    """Query strings that turn a page into its real use (a lookup with the code, a return
    from the gateway) instead of an empty form."""
    code = world.certificate.verification_code
    return {
        "verification:verify": {"number": world.certificate.number, "code": code},
        "verification:verify-certificate": {"code": code},
        "verification:pdf": {"code": code},
        "verification:api-certificate": {"code": code},
        "verification:credential-download": {"code": code},
        "verification:subscribe": {"code": code},
        "verification:record-import": {"code": code},
        "verification:request-new": {"code": code},
        # An unsigned return from the gateway: refused, but only the payer learns that.
        "applications:payment-return": {"order_id": world.payment.order_id, "status": "captured"},
        "applications:wallet-top-up-return": {"order_id": "TOP-WORLD", "status": "captured"},
    }.get(name, {})


def login_pages() -> tuple[str, ...]:
    return (
        reverse("accounts:login"),
        reverse("accounts:officer-login"),
        reverse("accounts:verifier-login"),
    )


def answer(response) -> str:
    """ "ok" (2xx, or a redirect that is not to a login page), "login", or the status code."""
    if 200 <= response.status_code < 300:
        return "ok"
    if 300 <= response.status_code < 400:
        location = response.get("Location", "")
        return "login" if location.startswith(login_pages()) else "ok"
    return str(response.status_code)


def unexpected_answers(
    client, persona: str, expected: dict[str, dict[str, str]], world: World
) -> list[str]:
    """GET every named URL as `persona`; a line for each answer that differs from its row."""
    unexpected = []
    for name, pattern in sorted(named_urls().items()):
        want = expected.get(name, {}).get(persona, "<no row>")
        url = url_for(name, pattern, world)
        response = client.get(url)
        got = answer(response)
        if got != want:
            where = response.get("Location", "")
            unexpected.append(
                f"  {name:40} expected {want:6} got {got:6} "
                f"({response.status_code}{' -> ' + where if where else ''})  GET {url}"
            )
    return unexpected


# The filing API (/api/v1/, issue 30) takes no session: whoever the persona, a GET without a
# token is a 401 problem, a path that takes only POST or DELETE a 405, and the OpenAPI
# document and its page are public. The same answer for every persona of every matrix.
API_V1_ANSWERS = {
    "api-v1:openapi-json": "ok",
    "api-v1:openapi-view": "ok",
    "api-v1:api-root": "404",
    # Ninja names a pattern per operation; those sharing a path answer as its GET does.
    "api-v1:application_list": "401",
    "api-v1:application_create": "401",
    "api-v1:application_update": "401",
    "api-v1:document_upload": "401",
    "api-v1:application_get": "401",
    "api-v1:application_validate": "401",
    "api-v1:application_submit": "405",
    "api-v1:declaration_code": "405",
    "api-v1:declaration_signature": "405",
    "api-v1:application_withdraw": "405",
    "api-v1:document_list": "401",
    "api-v1:document_delete": "405",
    "api-v1:document_check": "401",
    "api-v1:fee_get": "401",
    "api-v1:fee_pay_from_wallet": "405",
    "api-v1:fee_card_link": "405",
    "api-v1:clarification_get": "401",
    "api-v1:clarification_reply": "405",
    "api-v1:certificate_pdf": "401",
    "api-v1:certificate_credential": "401",
    "api-v1:acknowledgement": "401",
    "api-v1:tax_invoice": "401",
    "api-v1:verification_request_list": "401",
    "api-v1:verification_request_get": "401",
}


def api_v1_rows(personas: tuple[str, ...] | list[str]) -> dict[str, dict[str, str]]:
    return {name: dict.fromkeys(personas, got) for name, got in API_V1_ANSWERS.items()}
