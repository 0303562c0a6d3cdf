"""Who gets what: every named URL, fetched (GET) by each persona, over Alice's objects filed
with EIC Mumbai. The expected answer of every cell is written down here; a URL without a row
fails the suite until someone decides who may open it.

Answers: "ok" (2xx, or a redirect that is not to a login page), "login" (302 to a login page),
"404", "405" (a POST-only view), "403", "400" (a link whose token is refused).
"""

from __future__ import annotations

import pytest

from .conftest import PERSONAS, persona_client
from .urls import api_v1_rows, named_urls, unexpected_answers

pytestmark = pytest.mark.django_db


def cells(answers: str) -> dict[str, str]:
    """'anonymous alice bob olivia oscar ada' answers, in that order."""
    values = answers.split()
    assert len(values) == len(PERSONAS), answers
    return dict(zip(PERSONAS, values, strict=True))


EVERYONE_OK = cells("ok ok ok ok ok ok")
POST_ONLY_SIGNED_IN = cells("login 405 405 405 405 405")
# Alice's own pages: Bob and every officer get the 404 of a page that does not exist.
ALICE_ONLY = cells("login ok 404 404 404 404")
# An exporter's own pages that hold nothing of anyone else (each exporter sees their own).
ANY_EXPORTER = cells("login ok ok 404 404 404")
# The agency's officer pages: exporters get a 404, FIEO's officer sees only FIEO's work.
ANY_OFFICER = cells("login 404 404 ok ok ok")
EIC_OFFICERS = cells("login 404 404 ok 404 ok")
# Alice and the issuing agency's verified officers; nobody else.
ALICE_AND_EIC = cells("login ok 404 ok 404 ok")

#                                          anonymous alice bob olivia oscar ada
EXPECTED: dict[str, dict[str, str]] = {
    # -- the portal ---------------------------------------------------------------------------
    "home": EVERYONE_OK,
    "healthz": EVERYONE_OK,
    "readyz": EVERYONE_OK,
    "dev-outbox": cells("404 404 404 404 404 404"),  # DEBUG only
    # -- accounts: public steps -----------------------------------------------------------------
    "accounts:register": EVERYONE_OK,
    "accounts:register-email-sent": EVERYONE_OK,  # no registration in progress: back to start
    "accounts:verify-email": cells("400 400 400 400 400 400"),
    "accounts:register-otp": EVERYONE_OK,
    "accounts:register-otp-resend": cells("405 405 405 405 405 405"),
    "accounts:register-password": EVERYONE_OK,
    "accounts:register-done": EVERYONE_OK,
    "accounts:login": EVERYONE_OK,
    "accounts:password-reset": EVERYONE_OK,
    "accounts:password-reset-sent": EVERYONE_OK,
    "accounts:password-reset-otp": cells("400 400 400 400 400 400"),  # no link opened
    "accounts:password-reset-otp-resend": cells("405 405 405 405 405 405"),
    "accounts:password-reset-complete": EVERYONE_OK,
    "accounts:password-reset-confirm": cells("400 400 400 400 400 400"),
    "accounts:officer-login": EVERYONE_OK,
    "accounts:officer-invitation": cells("400 400 400 400 400 400"),
    # -- accounts: an agent's registration (public; without a link opened, back to the start)
    "accounts:agent-register": EVERYONE_OK,
    "accounts:agent-register-sent": EVERYONE_OK,
    "accounts:agent-verify-email": cells("400 400 400 400 400 400"),
    "accounts:agent-register-otp": EVERYONE_OK,
    "accounts:agent-register-otp-resend": cells("405 405 405 405 405 405"),
    "accounts:agent-register-account": EVERYONE_OK,
    "accounts:agent-register-done": EVERYONE_OK,
    # The TOTP step without a password step first goes back to the officer sign-in.
    "accounts:officer-otp": cells("login login login login login login"),
    "accounts:officer-enrol": cells("login login login login login login"),
    "accounts:verifier-login": EVERYONE_OK,
    "accounts:verifier-otp": cells("login login login login login login"),
    "accounts:verifier-enrol": cells("login login login login login login"),
    # -- accounts: signed in --------------------------------------------------------------------
    "accounts:logout": POST_ONLY_SIGNED_IN,
    "accounts:profile": ANY_EXPORTER,
    # The agent's IEC switcher: agents' staff only (tests/security/test_access_matrix_agents).
    "accounts:acting-for": cells("login 404 404 404 404 404"),
    # A firm's administrator manages its own agents; the authorisation is Alice's firm's.
    "accounts:firm-agents": ANY_EXPORTER,
    "accounts:firm-agents-check": ANY_EXPORTER,  # nothing to check: back to the Agents page
    "accounts:firm-agents-wallet": cells("login 405 405 404 404 404"),
    "accounts:firm-agent-withdraw": ALICE_ONLY,
    # An agent's staff: its administrator's (tests/security/test_access_matrix_agents).
    "accounts:agent-staff": cells("login 404 404 404 404 404"),
    "accounts:agent-staff-invite": cells("login 404 404 404 404 404"),
    "accounts:agent-staff-role": cells("login 404 404 404 404 404"),
    "accounts:agent-staff-remove": cells("login 404 404 404 404 404"),
    "accounts:agent-staff-invitation-cancel": cells("login 405 405 404 404 404"),
    # -- accounts: the firm's people (each administrator their own firm's) ----------------------
    "accounts:members": ANY_EXPORTER,
    "accounts:member-invite": ANY_EXPORTER,
    "accounts:member-invite-check": ANY_EXPORTER,  # nothing to check yet: back to the form
    "accounts:member-role": ALICE_ONLY,  # Priya's role; Bob gets the 404 of another firm's
    "accounts:member-remove": ALICE_ONLY,  # the check-your-answers step before removal
    "accounts:invitation-cancel": cells("login 405 405 404 404 404"),
    # -- accounts: accepting an invitation (public, by the emailed link) ------------------------
    "accounts:invitation-open": cells("400 400 400 400 400 400"),  # a made-up token
    "accounts:invitation-details": cells("400 400 400 400 400 400"),  # no link opened
    "accounts:invitation-otp": cells("400 400 400 400 400 400"),
    "accounts:invitation-otp-resend": cells("405 405 405 405 405 405"),
    "accounts:invitation-done": EVERYONE_OK,  # nothing done here: to the start page
    # -- applications: the exporter's pages -----------------------------------------------------
    "applications:list": ANY_EXPORTER,
    "applications:new": ANY_EXPORTER,
    "applications:hs-lookup": ANY_EXPORTER,
    "applications:payment-sandbox": ALICE_ONLY,
    "applications:payment-return": ALICE_ONLY,
    # Server to server, authenticated by its HMAC: POST only, for everyone.
    "applications:payment-notify": cells("405 405 405 405 405 405"),
    "applications:payment-webhook": cells("405 405 405 405 405 405"),
    # The world's payment is the sandbox's: it has no Razorpay checkout (tested with one in
    # tests/applications/test_razorpay_contract.py).
    "applications:payment-checkout": cells("login 404 404 404 404 404"),
    "applications:payment-checkout-return": cells("login 405 405 404 404 404"),
    # The agency's accounts: its administrators only.
    "applications:gst-register": cells("login 404 404 404 404 ok"),
    "applications:gstr1": cells("login 404 404 404 404 ok"),
    "applications:settlement-report": cells("login 404 404 404 404 ok"),
    "applications:detail": ALICE_ONLY,
    # A submitted application is no longer editable: its edit pages send Alice to the detail
    # page (a redirect, "ok"), and answer 404 to everyone else.
    "applications:tasks": ALICE_ONLY,
    "applications:parties": ALICE_ONLY,
    "applications:transport": ALICE_ONLY,
    "applications:declaration": ALICE_ONLY,
    "applications:declaration-sign": ALICE_ONLY,
    "applications:invoices": ALICE_ONLY,
    "applications:invoice-remove": cells("login 405 405 404 404 404"),
    "applications:goods": ALICE_ONLY,
    "applications:item-add": ALICE_ONLY,
    "applications:item-edit": ALICE_ONLY,
    "applications:cost-sheet": ALICE_ONLY,
    "applications:item-remove": cells("login 405 405 404 404 404"),
    "applications:goods-upload": ALICE_ONLY,
    "applications:goods-template": ALICE_ONLY,
    "applications:documents": ALICE_ONLY,
    "applications:upload-check": cells("login 404 404 404 404 404"),
    "applications:document": ALICE_AND_EIC,
    "applications:document-remove": cells("login 405 405 404 404 404"),
    "applications:check": ALICE_ONLY,
    "applications:pay": cells("login 405 405 404 404 404"),
    "applications:receipt": ALICE_ONLY,
    "applications:submit": cells("login 405 405 404 404 404"),
    "applications:request-signature": cells("login 405 405 404 404 404"),
    "applications:confirmation": ALICE_ONLY,
    "applications:withdraw": ALICE_ONLY,
    "applications:copy": cells("login 405 405 404 404 404"),
    # -- the fee wallet, tax invoices, the acknowledgement (each firm sees its own) -------------
    "applications:wallet": ANY_EXPORTER,
    "applications:wallet-statement": ANY_EXPORTER,
    "applications:wallet-top-up": cells("login 405 405 404 404 404"),
    "applications:wallet-gstin": cells("login 405 405 404 404 404"),
    "applications:wallet-top-up-sandbox": ALICE_ONLY,
    "applications:wallet-top-up-return": ALICE_ONLY,
    "applications:wallet-top-up-notify": cells("405 405 405 405 405 405"),
    "applications:tax-invoice": ALICE_ONLY,
    "applications:pay-wallet": cells("login 405 405 404 404 404"),
    "applications:acknowledgement": ALICE_ONLY,
    "applications:acknowledgement-pdf": ALICE_ONLY,
    # -- officer pages --------------------------------------------------------------------------
    "officer:queue": ANY_OFFICER,
    "officer:dashboard": ANY_OFFICER,
    "officer:review": EIC_OFFICERS,
    "officer:start-review": POST_ONLY_SIGNED_IN,
    "officer:release": POST_ONLY_SIGNED_IN,
    "officer:reassign": POST_ONLY_SIGNED_IN,
    "officer:approve": POST_ONLY_SIGNED_IN,
    "officer:reject": POST_ONLY_SIGNED_IN,
    "officer:clarify": POST_ONLY_SIGNED_IN,
    # Issue 31: the agency administrator's officers and reports (platform staff read reports
    # too: tests/officer/test_reports.py); a background export is its requester's alone.
    "officer:officers": cells("login 404 404 404 404 ok"),
    "officer:officer": cells("login 404 404 404 404 ok"),
    "officer:officer-deactivate": POST_ONLY_SIGNED_IN,
    "officer:officer-reactivate": POST_ONLY_SIGNED_IN,
    "officer:officer-reset-authenticator": POST_ONLY_SIGNED_IN,
    "officer:reports": cells("login 404 404 404 404 ok"),
    "officer:report": cells("login 404 404 404 404 ok"),
    "officer:report-export": cells("login 404 404 404 404 404"),
    "officer:report-export-download": cells("login 404 404 404 404 404"),
    # -- certificates ---------------------------------------------------------------------------
    "certificates:download": ALICE_AND_EIC,
    "certificates:credential": ALICE_AND_EIC,
    # Olivia sees the certificate but may not revoke it; only the agency administrator may.
    "certificates:revoke": cells("login 404 404 403 404 ok"),
    "certificates:request-replacement": POST_ONLY_SIGNED_IN,
    # -- the filing API's pages (issue 30): whoever files (a firm's member, an agent's staff)
    "api:access": ANY_EXPORTER,
    "api:bulk-new": ANY_EXPORTER,
    "api:bulk-progress": cells("login 404 404 404 404 404"),  # nobody's upload (its owner's only)
    "api:token-revoke": POST_ONLY_SIGNED_IN,
    "api:delivery-replay": POST_ONLY_SIGNED_IN,
    **api_v1_rows(PERSONAS),
    # -- public verification --------------------------------------------------------------------
    "verification:verify": EVERYONE_OK,
    "verification:verify-certificate": EVERYONE_OK,
    "verification:document": EVERYONE_OK,
    "verification:ca-certificate": EVERYONE_OK,
    "verification:pdf": EVERYONE_OK,
    "verification:api-certificate": EVERYONE_OK,
    # -- the agency CAs' CRLs -----------------------------------------------------------------
    "pki-crl": EVERYONE_OK,
    # -- Verifiable Credentials: the check, the download by number + code, and what an offline
    # verifier needs (keys, context, status lists), all public ----------------------------------
    "verification:credential": EVERYONE_OK,
    "verification:credential-download": EVERYONE_OK,
    "verification:did-portal": EVERYONE_OK,
    "verification:did-agency": EVERYONE_OK,
    "verification:jwks": EVERYONE_OK,
    "verification:credential-context": EVERYONE_OK,
    "verification:status-list": EVERYONE_OK,
    "verification:status-messages": EVERYONE_OK,  # which entries are superseded, not revoked
    "set-language": EVERYONE_OK,  # the language page: its form posts with CSRF
    # The owner and agency-administrator checks of these two: tests/certificates, tests/officer.
    "certificates:request-certified-copy": POST_ONLY_SIGNED_IN,
    "officer:officer-offices": POST_ONLY_SIGNED_IN,
    # The transparency log: the world's certificate was made without the workflow, so its
    # agency has no log yet; every endpoint says so alike.
    "verification:log-head": cells("404 404 404 404 404 404"),
    "verification:log-head-at": cells("404 404 404 404 404 404"),
    "verification:log-consistency": cells("404 404 404 404 404 404"),
    "verification:log-inclusion": cells("404 404 404 404 404 404"),
    "verification:log-leaves": cells("404 404 404 404 404 404"),
    # Status subscriptions: anyone with number and code; a made-up unsubscribe token is 404.
    "verification:subscribe": EVERYONE_OK,
    "verification:unsubscribe": cells("404 404 404 404 404 404"),
    # Recording an import: confirmed verifier organisations only (tests/verification).
    "verification:record-import": cells("login 403 403 403 403 403"),
    # Verification requests (issue 32): the verifier's pages (none of these personas is one),
    # the exporter's (ids of nothing here) and the documents.
    "verification:verifier-home": cells("login 403 403 403 403 403"),
    "verification:verifier-request": cells("login 403 403 403 403 403"),
    "verification:request-new": cells("login 403 403 403 403 403"),
    "verification:exporter-requests": ANY_EXPORTER,
    "verification:exporter-request": cells("login 404 404 404 404 404"),
    "verification:request-attachment": cells("login 404 404 404 404 404"),
    "officer:verification-requests": ANY_OFFICER,
    "officer:verification-request": cells("login 404 404 404 404 404"),
    "officer:verification-request-assign": POST_ONLY_SIGNED_IN,
    "officer:verification-request-decide": POST_ONLY_SIGNED_IN,
}


def test_every_named_url_has_a_row_in_the_access_table():
    names = set(named_urls())
    assert sorted(names - set(EXPECTED)) == [], "URLs without a row: decide who may open them"
    assert sorted(set(EXPECTED) - names) == [], "rows for URLs that no longer exist"


def test_the_access_table_covers_six_personas_on_every_url():
    assert all(set(row) == set(PERSONAS) for row in EXPECTED.values())


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_exactly_the_expected_answer_from_every_url(persona, world, users):
    client = persona_client(persona, users)
    unexpected = unexpected_answers(client, persona, EXPECTED, world)
    assert not unexpected, f"{persona}: {len(unexpected)} unexpected answer(s)\n" + "\n".join(
        unexpected
    )
