"""Who a token acts for: its person's role now, its scopes, its life."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.api_tokens import TokenRefused, api_token_create, api_token_revoke
from accounts.models import AgentAuthorisation, ApiToken, FirmMember
from applications.models import Application
from tests import factories

from .conftest import ApiClient, new_application, token_for

pytestmark = pytest.mark.django_db


def _firm(alice):
    return FirmMember.objects.get(user=alice).firm


@pytest.fixture
def priya(alice):
    """Priya, a preparer of Alice's firm: she drafts, she does not submit."""
    user = factories.UserFactory(username="priya", role="exporter", first_name="Priya")
    FirmMember.objects.create(firm=_firm(alice), user=user, role="preparer")
    return user


def test_a_preparer_cannot_give_a_token_the_submit_scope(priya):
    with pytest.raises(TokenRefused, match="submit"):
        api_token_create(user=priya, name="erp", scopes=["read", "submit"], days=30)


def test_a_preparers_token_drafts_but_cannot_submit(priya, alice, reference_data):
    api = ApiClient(token_for(priya, scopes=("read", "draft")))
    body = new_application(_firm(alice).iec)
    # The declaration is the signatory's: the same rule as the pages (a 409 problem).
    assert api.post("/applications", body).status_code == 409
    del body["declaration"]
    created = api.post("/applications", body)
    assert created.status_code == 201
    reference = created.json()["reference"]
    answer = api.post(f"/applications/{reference}/submit")
    assert answer.status_code == 403
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["status"] == 403
    assert Application.objects.get(reference=reference).status == "draft"


def test_a_preparer_whose_token_predates_a_demotion_still_cannot_submit(alice, reference_data):
    user = factories.UserFactory(username="sam", role="exporter")
    member = FirmMember.objects.create(firm=_firm(alice), user=user, role="signatory")
    api = ApiClient(token_for(user))
    reference = api.post("/applications", new_application(_firm(alice).iec)).json()["reference"]
    FirmMember.objects.filter(pk=member.pk).update(role="preparer")
    answer = api.post(f"/applications/{reference}/submit")
    assert answer.status_code == 403
    assert "Only a signatory" in answer.json()["detail"]


def test_an_agent_whose_authorisation_was_withdrawn_gets_404(kiran_api, alice, reference_data):
    reference = kiran_api.post("/applications", new_application(_firm(alice).iec)).json()[
        "reference"
    ]
    assert kiran_api.get(f"/applications/{reference}").status_code == 200
    AgentAuthorisation.objects.filter(firm=_firm(alice)).update(withdrawn_at=timezone.now())
    answer = kiran_api.get(f"/applications/{reference}")
    assert answer.status_code == 404
    assert answer.json()["title"] == "Not found"
    assert kiran_api.post("/applications", new_application(_firm(alice).iec)).status_code == 404
    assert kiran_api.get("/applications").json()["items"] == []


def test_another_firm_sees_nothing_of_alices_applications(alice_api, bob, alice, reference_data):
    reference = alice_api.post("/applications", new_application(_firm(alice).iec)).json()[
        "reference"
    ]
    bob_api = ApiClient(token_for(bob))
    assert alice_api.get(f"/applications/{reference}").status_code == 200
    assert bob_api.get(f"/applications/{reference}").status_code == 404
    assert bob_api.get("/applications").json()["items"] == []


def test_a_revoked_token_gets_401(alice, reference_data):
    token, raw = api_token_create(user=alice, name="erp", scopes=["read"], days=30)
    api = ApiClient(raw)
    assert api.get("/applications").status_code == 200
    assert api_token_revoke(user=alice, token_id=token.pk)
    answer = api.get("/applications")
    assert answer.status_code == 401
    assert answer["Content-Type"] == "application/problem+json"
    assert answer["WWW-Authenticate"] == "Bearer"


def test_an_expired_or_made_up_token_gets_401(alice, reference_data):
    token, raw = api_token_create(user=alice, name="erp", scopes=["read"], days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert ApiClient(raw).get("/applications").status_code == 401
    assert ApiClient("coo_made-up").get("/applications").status_code == 401


def test_a_read_only_token_cannot_draft(alice, reference_data):
    api = ApiClient(token_for(alice, scopes=("read",)))
    answer = api.post("/applications", new_application(_firm(alice).iec))
    assert answer.status_code == 403
    assert "draft scope" in answer.json()["detail"]


def test_the_token_is_stored_hashed_and_its_last_use_recorded(alice, reference_data):
    token, raw = api_token_create(user=alice, name="erp", scopes=["read"], days=30)
    assert raw not in token.key_hash
    assert token.last_used_at is None
    ApiClient(raw).get("/applications")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_past_its_rate_a_token_gets_429(alice, reference_data, settings):
    settings.API_RATE_READ = "2/m"
    api = ApiClient(token_for(alice, scopes=("read",)))
    assert [api.get("/applications").status_code for _ in range(3)] == [200, 200, 429]
    assert api.get("/applications")["Retry-After"] == "60"


def test_the_tokens_page_shows_a_new_secret_once(alice, reference_data):
    from tests.applications.conftest import signed_in

    client = signed_in(alice)
    page = client.post(
        "/api-access/",
        {"create_token": "1", "name": "ERP", "scopes": ["read", "draft"], "days": "30"},
    )
    assert page.status_code == 200
    token = ApiToken.objects.get(user=alice)
    assert token.prefix in page.content.decode()
    assert "shown only once" in page.content.decode()
    again = client.get("/api-access/").content.decode()
    assert token.prefix in again
    assert "shown only once" not in again
