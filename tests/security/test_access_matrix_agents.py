"""The access matrix for agents' staff: every named URL, fetched (GET) by two more personas
over Alice's world (tests/security/conftest.py).

- kiran: staff of "Kiran Logistics", which Alice's firm authorises now. Kiran acts for
  Alice's firm with a signatory's powers: Alice's applications, documents, receipts and
  certificates open for Kiran; the firm's fee wallet and its Agents page do not.
- kurt: staff of "Kurt Forwarding", whose authorisation by Alice's firm ended yesterday.
  Kurt still signs in (a registered agent), and sees nothing of Alice's firm: every object of
  it answers the 404 of a page that does not exist.

Answers as in test_access_matrix: "ok", "login", "404", "405", "403", "400".
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts import firms
from accounts.models import AgentAuthorisation
from tests.accounts.agent_factories import kiran_logistics, kurt_forwarding

from .conftest import persona_client
from .test_access_matrix import EXPECTED as SIX_PERSONAS
from .urls import answer, api_v1_rows, named_urls, unexpected_answers, url_for

pytestmark = pytest.mark.django_db

AGENT_PERSONAS = ("kiran", "kurt")


def cells(answers: str) -> dict[str, str]:
    """'kiran kurt' answers, in that order."""
    kiran, kurt = answers.split()
    return {"kiran": kiran, "kurt": kurt}


BOTH_OK = cells("ok ok")
BOTH_405 = cells("405 405")
BOTH_404 = cells("404 404")
BOTH_400 = cells("400 400")
BOTH_LOGIN = cells("login login")
# Alice's firm's objects: Kiran acts for it now, Kurt no longer does.
KIRAN_ONLY = cells("ok 404")

# Kiran's own agent's staff, which no firm's authorisation gives or takes away.
KIRANS_OWN_STAFF = {"accounts:agent-staff-role", "accounts:agent-staff-remove"}

#                                         kiran kurt
EXPECTED: dict[str, dict[str, str]] = {
    "accounts:acting-for": BOTH_OK,  # Kurt's lists no IEC
    "accounts:agent-register": BOTH_OK,
    "accounts:agent-register-account": BOTH_OK,
    "accounts:agent-register-done": BOTH_OK,
    "accounts:agent-register-otp": BOTH_OK,
    "accounts:agent-register-otp-resend": BOTH_405,
    "accounts:agent-register-sent": BOTH_OK,
    "accounts:agent-verify-email": BOTH_400,
    "accounts:firm-agent-withdraw": BOTH_404,
    # Each administers their own agent's staff; the staff row in the URL is Kiran's, which
    # Kurt (another agent's administrator) gets the 404 of.
    "accounts:agent-staff": BOTH_OK,
    "accounts:agent-staff-invite": BOTH_OK,
    "accounts:agent-staff-role": KIRAN_ONLY,
    "accounts:agent-staff-remove": KIRAN_ONLY,
    "accounts:agent-staff-invitation-cancel": BOTH_405,
    "accounts:firm-agents": BOTH_404,  # a firm's administrators only
    "accounts:firm-agents-check": BOTH_404,
    "accounts:firm-agents-wallet": BOTH_405,
    "accounts:login": BOTH_OK,
    # A firm's people are its administrators' to manage: refused (403) to an agent, who is
    # no member of any firm, as to a member without the role.
    "accounts:members": cells("403 403"),
    "accounts:member-invite": cells("403 403"),
    "accounts:member-invite-check": cells("403 403"),
    "accounts:member-role": cells("403 403"),
    "accounts:member-remove": cells("403 403"),
    "accounts:invitation-cancel": BOTH_405,
    "accounts:invitation-open": BOTH_400,  # a made-up token
    "accounts:invitation-details": BOTH_400,
    "accounts:invitation-otp": BOTH_400,
    "accounts:invitation-otp-resend": BOTH_405,
    "accounts:invitation-done": BOTH_OK,
    "accounts:logout": BOTH_405,
    "accounts:officer-enrol": BOTH_LOGIN,
    "accounts:officer-login": BOTH_OK,
    "accounts:officer-otp": BOTH_LOGIN,
    "accounts:verifier-login": BOTH_OK,
    "accounts:verifier-otp": BOTH_LOGIN,
    "accounts:verifier-enrol": BOTH_LOGIN,
    "accounts:password-reset": BOTH_OK,
    "accounts:password-reset-complete": BOTH_OK,
    "accounts:password-reset-confirm": BOTH_400,
    "accounts:password-reset-otp": BOTH_400,
    "accounts:password-reset-otp-resend": BOTH_405,
    "accounts:password-reset-sent": BOTH_OK,
    "accounts:profile": BOTH_OK,  # their own agency's
    "accounts:register": BOTH_OK,
    "accounts:register-done": BOTH_OK,
    "accounts:register-email-sent": BOTH_OK,
    "accounts:register-otp": BOTH_OK,
    "accounts:register-otp-resend": BOTH_405,
    "accounts:register-password": BOTH_OK,
    "accounts:verify-email": BOTH_400,
    "applications:acknowledgement": KIRAN_ONLY,
    "applications:acknowledgement-pdf": KIRAN_ONLY,
    "applications:check": KIRAN_ONLY,
    "applications:confirmation": KIRAN_ONLY,
    "applications:copy": BOTH_405,
    "applications:declaration": KIRAN_ONLY,
    "applications:declaration-sign": KIRAN_ONLY,
    "applications:detail": KIRAN_ONLY,
    "applications:document": KIRAN_ONLY,
    "applications:document-remove": BOTH_405,
    "applications:documents": KIRAN_ONLY,
    "applications:upload-check": cells("404 404"),  # no upload is being checked in the world
    "applications:goods": KIRAN_ONLY,
    "applications:goods-template": KIRAN_ONLY,
    "applications:goods-upload": KIRAN_ONLY,
    "applications:hs-lookup": BOTH_OK,
    "applications:invoice-remove": BOTH_405,
    "applications:invoices": KIRAN_ONLY,
    "applications:item-add": KIRAN_ONLY,
    "applications:item-edit": KIRAN_ONLY,
    "applications:cost-sheet": KIRAN_ONLY,
    "applications:item-remove": BOTH_405,
    "applications:list": BOTH_OK,  # Kurt's is empty
    "applications:new": BOTH_OK,  # Kurt has no IEC to choose: sent to the switcher
    "applications:parties": KIRAN_ONLY,
    "applications:pay": BOTH_405,
    "applications:pay-wallet": BOTH_405,
    "applications:payment-notify": BOTH_405,
    "applications:payment-webhook": BOTH_405,
    "applications:payment-checkout": BOTH_404,  # the world's payment is the sandbox's
    "applications:payment-checkout-return": BOTH_405,
    "applications:gst-register": BOTH_404,
    "applications:gstr1": BOTH_404,
    "applications:settlement-report": BOTH_404,
    "applications:payment-return": KIRAN_ONLY,
    "applications:payment-sandbox": KIRAN_ONLY,
    "applications:receipt": KIRAN_ONLY,
    "applications:submit": BOTH_405,
    "applications:request-signature": BOTH_405,
    "applications:tasks": KIRAN_ONLY,
    "applications:tax-invoice": BOTH_404,  # the world's is a top-up receipt: the wallet's
    "applications:transport": KIRAN_ONLY,
    "applications:wallet": BOTH_404,  # the firm's money: its administrators only
    "applications:wallet-gstin": BOTH_405,
    "applications:wallet-statement": BOTH_404,
    "applications:wallet-top-up": BOTH_405,
    "applications:wallet-top-up-notify": BOTH_405,
    "applications:wallet-top-up-return": BOTH_404,
    "applications:wallet-top-up-sandbox": BOTH_404,
    "applications:withdraw": KIRAN_ONLY,
    "certificates:credential": KIRAN_ONLY,
    "certificates:download": KIRAN_ONLY,
    "certificates:request-replacement": BOTH_405,
    "certificates:revoke": BOTH_404,
    "dev-outbox": BOTH_404,
    "healthz": BOTH_OK,
    "home": BOTH_OK,
    "officer:approve": BOTH_405,
    "officer:clarify": BOTH_405,
    # Issue 31: the agency's pages and the officer invitation link.
    "accounts:officer-invitation": BOTH_400,
    "officer:officers": BOTH_404,
    "officer:officer": BOTH_404,
    "officer:officer-deactivate": BOTH_405,
    "officer:officer-reactivate": BOTH_405,
    "officer:officer-reset-authenticator": BOTH_405,
    "officer:reports": BOTH_404,
    "officer:report": BOTH_404,
    "officer:report-export": BOTH_404,
    "officer:report-export-download": BOTH_404,
    "officer:dashboard": BOTH_404,
    "officer:queue": BOTH_404,
    "officer:reassign": BOTH_405,
    "officer:reject": BOTH_405,
    "officer:release": BOTH_405,
    "officer:review": BOTH_404,
    "officer:start-review": BOTH_405,
    "pki-crl": BOTH_OK,
    "readyz": BOTH_OK,
    "verification:api-certificate": BOTH_OK,
    "verification:ca-certificate": BOTH_OK,
    "verification:credential": BOTH_OK,
    "verification:credential-context": BOTH_OK,
    "verification:credential-download": BOTH_OK,
    "verification:did-agency": BOTH_OK,
    "verification:did-portal": BOTH_OK,
    "verification:document": BOTH_OK,
    "verification:jwks": BOTH_OK,
    "verification:pdf": BOTH_OK,
    "verification:status-list": BOTH_OK,
    "verification:log-head": cells("404 404"),
    "verification:log-head-at": cells("404 404"),
    "verification:log-consistency": cells("404 404"),
    "verification:log-inclusion": cells("404 404"),
    "verification:log-leaves": cells("404 404"),
    "verification:subscribe": BOTH_OK,
    "verification:unsubscribe": cells("404 404"),
    "verification:record-import": cells("403 403"),
    "verification:verifier-home": cells("403 403"),
    "verification:verifier-request": cells("403 403"),
    "verification:request-new": cells("403 403"),
    "verification:exporter-requests": BOTH_OK,
    "verification:exporter-request": cells("404 404"),
    "verification:request-attachment": cells("404 404"),
    "officer:verification-requests": cells("404 404"),
    "officer:verification-request": cells("404 404"),
    "officer:verification-request-assign": BOTH_405,
    "officer:officer-offices": BOTH_405,
    "certificates:request-certified-copy": BOTH_405,
    "set-language": BOTH_OK,
    "verification:status-messages": BOTH_OK,
    "officer:verification-request-decide": BOTH_405,
    "verification:verify": BOTH_OK,
    "verification:verify-certificate": BOTH_OK,
    # The filing API's pages: an agent's staff files, authorised or not (its own tokens).
    "api:access": BOTH_OK,
    "api:bulk-new": BOTH_OK,
    "api:bulk-progress": BOTH_404,
    "api:token-revoke": BOTH_405,
    "api:delivery-replay": BOTH_405,
    **api_v1_rows(AGENT_PERSONAS),
}


@pytest.fixture
def agent_users(world) -> dict[str, object]:
    firm = world.alice.exporter_profile.iec_record
    return {
        "kiran": kiran_logistics(firm, world.alice).user,
        "kurt": kurt_forwarding(firm, world.alice).user,
    }


def test_every_named_url_has_a_row_for_the_agents():
    assert sorted(set(named_urls()) ^ set(EXPECTED)) == []
    assert set(EXPECTED) == set(SIX_PERSONAS)


def test_kiran_acts_for_alices_firm_and_kurt_for_none(agent_users, world):
    firm_id = world.alice.exporter_profile.iec_record_id
    assert firms.firm_ids_for(agent_users["kiran"]) == {firm_id}
    assert firms.firm_ids_for(agent_users["kurt"]) == frozenset()
    assert firms.files_for_firms(agent_users["kurt"])  # still signs in


@pytest.mark.parametrize("persona", AGENT_PERSONAS)
def test_each_agent_persona_gets_exactly_the_expected_answer_from_every_url(
    persona, world, agent_users
):
    client = persona_client(persona, agent_users)
    unexpected = unexpected_answers(client, persona, EXPECTED, world)
    assert not unexpected, f"{persona}: {len(unexpected)} unexpected answer(s)\n" + "\n".join(
        unexpected
    )


def test_once_alices_firm_withdraws_kirans_authorisation_kiran_gets_what_kurt_gets(
    world, agent_users
):
    """The withdrawal takes effect at once: Kiran's next request answers like Kurt's."""
    AgentAuthorisation.objects.filter(agent__name="Kiran Logistics").update(
        withdrawn_at=timezone.now(), withdrawn_by=world.alice
    )
    client = persona_client("kiran", agent_users)
    for name, pattern in sorted(named_urls().items()):
        if EXPECTED[name] == KIRAN_ONLY and name not in KIRANS_OWN_STAFF:
            response = client.get(url_for(name, pattern, world))
            assert answer(response) == "404", name
