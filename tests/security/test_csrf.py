"""CSRF: every POST without the token is refused before any view runs, with the "page
expired" answer; the same POST with the token gets past the check. The one exception is the
payment gateway's server-to-server notification, which no browser sends and which proves
itself with its HMAC instead."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from applications.models import Payment
from applications.payments import gateway_get
from tests import factories

from .conftest import persona_client
from .urls import API_V1_ANSWERS, named_urls, url_for

pytestmark = pytest.mark.django_db

# The filing API (issue 30) is exempt too: it authenticates by the bearer token alone, never
# by the session cookie a forged cross-site form would carry (test below).
# (Its OpenAPI document, reference page and root are plain views, not exempt.)
API_DOCUMENT = {"api-v1:openapi-json", "api-v1:openapi-view", "api-v1:api-root"}
CSRF_EXEMPT = {
    "applications:payment-notify",
    "applications:wallet-top-up-notify",
    # Razorpay's webhook: server to server, authenticated by its signature over the raw body.
    "applications:payment-webhook",
} | (set(API_V1_ANSWERS) - API_DOCUMENT)
CSRF_REFUSAL = "This page has expired"


def persona_for(name: str) -> str:
    """Who would really send this POST: the owner, the agency's officer or administrator."""
    if name in {"certificates:revoke", "officer:reassign"}:
        return "ada"
    if name.startswith("officer:"):
        return "olivia"
    if name.startswith(("applications:", "certificates:")) or name in {
        "accounts:logout",
        "accounts:profile",
    }:
        return "alice"
    return "anonymous"


def csrf_client(name: str, users) -> Client:
    return persona_client(persona_for(name), users, enforce_csrf_checks=True)


def csrf_token(client: Client) -> str:
    """The token a real browser would have: from the cookie set by rendering a form."""
    client.get(reverse("accounts:login"))
    return client.cookies["csrftoken"].value


def state(world) -> dict[str, object]:
    application = world.application
    application.refresh_from_db()
    world.certificate.refresh_from_db()
    world.payment.refresh_from_db()
    return {
        "status": application.status,
        "invoices": application.invoices.count(),
        "items": application.items.count(),
        "documents": application.documents.count(),
        "applications": application.exporter.applications.count(),
        "payment": world.payment.state,
        "certificate": world.certificate.status,
    }


def test_the_only_csrf_exempt_view_is_the_payment_notification():
    exempt = {
        name
        for name, pattern in named_urls().items()
        if getattr(pattern.callback, "csrf_exempt", False)
    }
    assert exempt == CSRF_EXEMPT


def test_the_api_never_takes_the_session_for_a_token(world, users):
    """A signed-in browser's cookies, without an API token, get the API's 401: a cross-site
    form cannot act through the API."""
    client = persona_client("alice", users, enforce_csrf_checks=True)
    before = state(world)
    answer = client.post(
        f"/api/v1/applications/{world.application.reference}/withdraw",
        content_type="application/json",
    )
    assert answer.status_code == 401
    assert client.get("/api/v1/applications").status_code == 401
    assert state(world) == before


def test_a_post_without_the_token_is_refused_by_every_view_and_changes_nothing(world, users):
    before = state(world)
    accepted = []
    for name, pattern in sorted(named_urls().items()):
        if name in CSRF_EXEMPT:
            continue
        client = csrf_client(name, users)
        url = url_for(name, pattern, world)
        response = client.post(
            url, {"reason": "x", "message": "x", "remark": "", "outcome": "captured"}
        )
        if response.status_code != 403 or CSRF_REFUSAL not in response.content.decode():
            accepted.append(f"  {name:40} answered {response.status_code} to POST {url}")
    assert not accepted, "POSTs without a CSRF token that were not refused:\n" + "\n".join(accepted)
    assert state(world) == before


def test_the_same_post_with_the_token_gets_past_the_csrf_check(world, users):
    refused = []
    for name, pattern in sorted(named_urls().items()):
        if name in CSRF_EXEMPT:
            continue
        client = csrf_client(name, users)
        token = csrf_token(client)
        url = url_for(name, pattern, world)
        response = client.post(url, {"csrfmiddlewaretoken": token})
        if response.status_code == 403 and CSRF_REFUSAL in response.content.decode():
            refused.append(f"  {name:40} refused POST {url} even with the token")
    assert not refused, "\n".join(refused)


def test_a_withdrawal_forged_from_another_site_leaves_the_application_submitted(world, users):
    client = persona_client("alice", users, enforce_csrf_checks=True)
    url = reverse("applications:withdraw", args=[world.application.reference])
    response = client.post(url, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    world.application.refresh_from_db()
    assert world.application.status == "submitted"


def test_an_approval_forged_from_another_site_is_refused(world, users):
    client = persona_client("olivia", users, enforce_csrf_checks=True)
    url = reverse("officer:approve", args=[world.application.reference])
    assert client.post(url, {"remark": "ok"}).status_code == 403
    world.application.refresh_from_db()
    assert world.application.status == "submitted"


def test_logout_is_post_only_and_a_get_leaves_the_exporter_signed_in(alice, users):
    client = persona_client("alice", users, enforce_csrf_checks=True)
    logout = reverse("accounts:logout")

    assert client.get(logout).status_code == 405
    assert client.post(logout).status_code == 403  # no token: a forged sign-out
    assert int(client.session["_auth_user_id"]) == alice.pk

    response = client.post(logout, {"csrfmiddlewaretoken": csrf_token(client)})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


# ---------------------------------------------------------------------------------------------
# The gateway's notification: no CSRF token, but nothing without a valid signature
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def pending_payment(alice, eic_mumbai) -> Payment:
    application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
    payment = factories.PaymentFactory(
        application=application, state="created", gateway_reference="", captured_at=None
    )
    payment.refresh_from_db()  # the amount as a Decimal
    return payment


def notification(payment: Payment) -> dict[str, str]:
    return {
        "order_id": payment.order_id,
        "event_id": "EVT-security-1",
        "status": "captured",
        "amount": f"{payment.amount:.2f}",
        "currency": payment.currency,
        "gateway_reference": "SBXSEC001",
    }


def test_the_payment_notification_refuses_an_unsigned_body(pending_payment):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("applications:payment-notify"),
        json.dumps(notification(pending_payment)),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["ok"] is False
    pending_payment.refresh_from_db()
    assert pending_payment.state == "created"


def test_the_payment_notification_refuses_a_forged_signature(pending_payment):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("applications:payment-notify"),
        json.dumps(notification(pending_payment)),
        content_type="application/json",
        HTTP_X_SIGNATURE="0" * 64,
    )
    assert response.status_code == 400
    pending_payment.refresh_from_db()
    assert pending_payment.state == "created"


def test_the_payment_notification_with_the_gateways_signature_needs_no_csrf_token(
    pending_payment,
):
    payload = notification(pending_payment)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("applications:payment-notify"),
        json.dumps(payload),
        content_type="application/json",
        HTTP_X_SIGNATURE=gateway_get("sandbox").sign(payload),
    )
    assert response.status_code == 200, response.content
    pending_payment.refresh_from_db()
    assert pending_payment.state == "captured"
