"""Who gets what, for the people of Alice's firm: every named URL, fetched (GET) by each of
them, over the same world as tests/security/test_access_matrix.py (Alice's applications filed
with EIC Mumbai, Priya's membership, Alice's open invitation). Every answer is written down; a
URL without a row fails until someone decides.

Personas (members of Alice's firm, "Alice Exports"):
- priya: a preparer (drafts and documents; no pay, submit, wallet or people).
- sam: a signatory (a preparer's work, plus declare, pay and submit; no wallet or people).
- abe: a second administrator (everything Alice may do).

Answers as in the main matrix: "ok", "login", "404", "405", "403", "400". A preparer or
signatory on the people pages gets 403 (they are of the firm, but may not manage it); the fee
wallet answers them 404, as it does to anyone without a wallet to see. Pages whose action a
preparer may not take (withdraw, the declaration of a submitted application) send them back to
the application with the reason ("ok", a redirect).
"""

from __future__ import annotations

import pytest

from .conftest import persona_client
from .urls import api_v1_rows, named_urls, unexpected_answers

pytestmark = pytest.mark.django_db

MEMBERS = ("priya", "sam", "abe")


def trio(answers: str) -> dict[str, str]:
    """'priya sam abe' answers, in that order."""
    values = answers.split()
    assert len(values) == len(MEMBERS), answers
    return dict(zip(MEMBERS, values, strict=True))


#                                                       priya sam abe
EXPECTED: dict[str, dict[str, str]] = {
    "accounts:invitation-cancel": trio("405 405 405"),
    "accounts:invitation-details": trio("400 400 400"),
    "accounts:invitation-done": trio("ok ok ok"),
    "accounts:invitation-open": trio("400 400 400"),
    "accounts:invitation-otp": trio("400 400 400"),
    "accounts:invitation-otp-resend": trio("405 405 405"),
    "accounts:login": trio("ok ok ok"),
    # An agent's registration is public; the IEC switcher is agents' staff's only; the firm's
    # Agents page is its administrators' (Abe).
    "accounts:acting-for": trio("404 404 404"),
    "accounts:agent-register": trio("ok ok ok"),
    "accounts:agent-register-account": trio("ok ok ok"),
    "accounts:agent-register-done": trio("ok ok ok"),
    "accounts:agent-register-otp": trio("ok ok ok"),
    "accounts:agent-register-otp-resend": trio("405 405 405"),
    "accounts:agent-register-sent": trio("ok ok ok"),
    "accounts:agent-verify-email": trio("400 400 400"),
    "accounts:firm-agents": trio("404 404 ok"),
    "accounts:firm-agents-check": trio("404 404 ok"),
    "accounts:firm-agents-wallet": trio("405 405 405"),
    "accounts:firm-agent-withdraw": trio("404 404 ok"),
    "accounts:agent-staff": trio("404 404 404"),  # an agent's administrator's only
    "accounts:agent-staff-invite": trio("404 404 404"),
    "accounts:agent-staff-role": trio("404 404 404"),
    "accounts:agent-staff-remove": trio("404 404 404"),
    "accounts:agent-staff-invitation-cancel": trio("405 405 405"),
    "accounts:logout": trio("405 405 405"),
    "accounts:member-invite": trio("403 403 ok"),
    "accounts:member-invite-check": trio("403 403 ok"),
    "accounts:member-remove": trio("403 403 ok"),
    "accounts:member-role": trio("403 403 ok"),
    "accounts:members": trio("403 403 ok"),
    "accounts:officer-enrol": trio("login login login"),
    "accounts:officer-login": trio("ok ok ok"),
    "accounts:officer-otp": trio("login login login"),
    "accounts:verifier-login": trio("ok ok ok"),
    "accounts:verifier-otp": trio("login login login"),
    "accounts:verifier-enrol": trio("login login login"),
    "accounts:password-reset": trio("ok ok ok"),
    "accounts:password-reset-complete": trio("ok ok ok"),
    "accounts:password-reset-confirm": trio("400 400 400"),
    "accounts:password-reset-otp": trio("400 400 400"),
    "accounts:password-reset-otp-resend": trio("405 405 405"),
    "accounts:password-reset-sent": trio("ok ok ok"),
    "accounts:profile": trio("ok ok ok"),
    "accounts:register": trio("ok ok ok"),
    "accounts:register-done": trio("ok ok ok"),
    "accounts:register-email-sent": trio("ok ok ok"),
    "accounts:register-otp": trio("ok ok ok"),
    "accounts:register-otp-resend": trio("405 405 405"),
    "accounts:register-password": trio("ok ok ok"),
    "accounts:verify-email": trio("400 400 400"),
    "applications:acknowledgement": trio("ok ok ok"),
    "applications:acknowledgement-pdf": trio("ok ok ok"),
    "applications:check": trio("ok ok ok"),
    "applications:confirmation": trio("ok ok ok"),
    "applications:copy": trio("405 405 405"),
    "applications:declaration": trio("ok ok ok"),
    "applications:declaration-sign": trio("ok ok ok"),  # a preparer is sent back to the tasks
    "applications:detail": trio("ok ok ok"),
    "applications:document": trio("ok ok ok"),
    "applications:document-remove": trio("405 405 405"),
    "applications:documents": trio("ok ok ok"),
    "applications:upload-check": trio("404 404 404"),  # none being checked in the world
    "applications:goods": trio("ok ok ok"),
    "applications:goods-template": trio("ok ok ok"),
    "applications:goods-upload": trio("ok ok ok"),
    "applications:hs-lookup": trio("ok ok ok"),
    "applications:invoice-remove": trio("405 405 405"),
    "applications:invoices": trio("ok ok ok"),
    "applications:item-add": trio("ok ok ok"),
    "applications:item-edit": trio("ok ok ok"),
    "applications:cost-sheet": trio("ok ok ok"),
    "applications:item-remove": trio("405 405 405"),
    "applications:list": trio("ok ok ok"),
    "applications:new": trio("ok ok ok"),
    "applications:parties": trio("ok ok ok"),
    "applications:pay": trio("405 405 405"),
    "applications:pay-wallet": trio("405 405 405"),
    "applications:payment-notify": trio("405 405 405"),
    "applications:payment-webhook": trio("405 405 405"),
    "applications:payment-checkout": trio("404 404 404"),  # the world's payment is the sandbox's
    "applications:payment-checkout-return": trio("405 405 405"),
    "applications:gst-register": trio("404 404 404"),  # the agency's administrators only
    "applications:gstr1": trio("404 404 404"),
    "applications:settlement-report": trio("404 404 404"),
    "applications:payment-return": trio("ok ok ok"),
    "applications:payment-sandbox": trio("ok ok ok"),
    "applications:receipt": trio("ok ok ok"),
    "applications:submit": trio("405 405 405"),
    "applications:request-signature": trio("405 405 405"),
    "applications:tasks": trio("ok ok ok"),
    "applications:tax-invoice": trio("404 404 ok"),
    "applications:transport": trio("ok ok ok"),
    "applications:wallet": trio("404 404 ok"),
    "applications:wallet-gstin": trio("405 405 405"),
    "applications:wallet-statement": trio("404 404 ok"),
    "applications:wallet-top-up": trio("405 405 405"),
    "applications:wallet-top-up-notify": trio("405 405 405"),
    "applications:wallet-top-up-return": trio("404 404 ok"),
    "applications:wallet-top-up-sandbox": trio("404 404 ok"),
    "applications:withdraw": trio("ok ok ok"),
    "certificates:credential": trio("ok ok ok"),
    "certificates:download": trio("ok ok ok"),
    "certificates:request-replacement": trio("405 405 405"),
    "certificates:revoke": trio("404 404 404"),
    "dev-outbox": trio("404 404 404"),
    "healthz": trio("ok ok ok"),
    "home": trio("ok ok ok"),
    "officer:approve": trio("405 405 405"),
    "officer:clarify": trio("405 405 405"),
    # Issue 31: the agency's pages and the officer invitation link.
    "accounts:officer-invitation": trio("400 400 400"),
    "officer:officers": trio("404 404 404"),
    "officer:officer": trio("404 404 404"),
    "officer:officer-deactivate": trio("405 405 405"),
    "officer:officer-reactivate": trio("405 405 405"),
    "officer:officer-reset-authenticator": trio("405 405 405"),
    "officer:reports": trio("404 404 404"),
    "officer:report": trio("404 404 404"),
    "officer:report-export": trio("404 404 404"),
    "officer:report-export-download": trio("404 404 404"),
    "officer:dashboard": trio("404 404 404"),
    "officer:queue": trio("404 404 404"),
    "officer:reassign": trio("405 405 405"),
    "officer:reject": trio("405 405 405"),
    "officer:release": trio("405 405 405"),
    "officer:review": trio("404 404 404"),
    "officer:start-review": trio("405 405 405"),
    "pki-crl": trio("ok ok ok"),
    "readyz": trio("ok ok ok"),
    "verification:api-certificate": trio("ok ok ok"),
    "verification:ca-certificate": trio("ok ok ok"),
    "verification:credential": trio("ok ok ok"),
    "verification:credential-context": trio("ok ok ok"),
    "verification:credential-download": trio("ok ok ok"),
    "verification:did-agency": trio("ok ok ok"),
    "verification:did-portal": trio("ok ok ok"),
    "verification:document": trio("ok ok ok"),
    "verification:jwks": trio("ok ok ok"),
    "verification:pdf": trio("ok ok ok"),
    "verification:status-list": trio("ok ok ok"),
    "verification:status-messages": trio("ok ok ok"),
    "set-language": trio("ok ok ok"),
    "certificates:request-certified-copy": trio("405 405 405"),
    "officer:officer-offices": trio("405 405 405"),
    "verification:log-head": trio("404 404 404"),
    "verification:log-head-at": trio("404 404 404"),
    "verification:log-consistency": trio("404 404 404"),
    "verification:log-inclusion": trio("404 404 404"),
    "verification:log-leaves": trio("404 404 404"),
    "verification:subscribe": trio("ok ok ok"),
    "verification:unsubscribe": trio("404 404 404"),
    "verification:record-import": trio("403 403 403"),
    "verification:verifier-home": trio("403 403 403"),
    "verification:verifier-request": trio("403 403 403"),
    "verification:request-new": trio("403 403 403"),
    "verification:exporter-requests": trio("ok ok ok"),
    "verification:exporter-request": trio("404 404 404"),
    "verification:request-attachment": trio("404 404 404"),
    "officer:verification-requests": trio("404 404 404"),
    "officer:verification-request": trio("404 404 404"),
    "officer:verification-request-assign": trio("405 405 405"),
    "officer:verification-request-decide": trio("405 405 405"),
    "verification:verify": trio("ok ok ok"),
    "verification:verify-certificate": trio("ok ok ok"),
    # The filing API's pages: every member files (their own tokens, scopes by role).
    "api:access": trio("ok ok ok"),
    "api:bulk-new": trio("ok ok ok"),
    "api:bulk-progress": trio("404 404 404"),
    "api:token-revoke": trio("405 405 405"),
    "api:delivery-replay": trio("405 405 405"),
    **api_v1_rows(MEMBERS),
}


def test_every_named_url_has_a_row_for_the_firms_people():
    names = set(named_urls())
    assert sorted(names - set(EXPECTED)) == [], "URLs without a row: decide who may open them"
    assert sorted(set(EXPECTED) - names) == [], "rows for URLs that no longer exist"


@pytest.mark.parametrize("persona", MEMBERS)
def test_each_member_gets_exactly_the_expected_answer_from_every_url(persona, world, users):
    client = persona_client(persona, users)
    unexpected = unexpected_answers(client, persona, EXPECTED, world)
    assert not unexpected, f"{persona}: {len(unexpected)} unexpected answer(s)\n" + "\n".join(
        unexpected
    )


def test_the_members_see_what_alice_sees_except_where_their_role_says_otherwise():
    """Beside the written answers: a preparer and a signatory differ from Alice only on the
    people pages, the Agents pages and the fee wallet; Abe, a second administrator, never."""
    from .test_access_matrix import EXPECTED as MAIN

    role_bound = {
        name for name in EXPECTED if name.startswith(("accounts:member", "applications:wallet"))
    }
    role_bound |= {"accounts:members", "applications:tax-invoice"}
    role_bound |= {name for name in EXPECTED if name.startswith("accounts:firm-agent")}
    for name, row in EXPECTED.items():
        assert row["abe"] == MAIN[name]["alice"], name
        if name not in role_bound:
            assert row["priya"] == row["sam"] == MAIN[name]["alice"], name
