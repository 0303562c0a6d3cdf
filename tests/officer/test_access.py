"""Acceptance 3: an officer of another agency gets 404 for every page and document of an
application filed with EIC; exporters and strangers never reach an officer page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from review import urls as officer_urls

REFERENCE_URLS = [p.name for p in officer_urls.urlpatterns if "reference" in str(p.pattern)]
PLAIN_URLS = [p.name for p in officer_urls.urlpatterns if "<" not in str(p.pattern)]
# Issue 31's pages of the agency (an officer, a report, an export) and issue 32's verification
# requests, with a value for each.
OTHER_ARGS = {
    "officer_id": "1",
    "request_id": "1",
    "report": "received",
    "export_id": "00000000-0000-4000-8000-000000000031",
}
OTHER_URLS = {
    p.name: {key: OTHER_ARGS[key] for key in p.pattern.converters}
    for p in officer_urls.urlpatterns
    if "<" in str(p.pattern) and "reference" not in str(p.pattern)
}
DECISIONS = {"start-review", "release", "reassign", "approve", "reject", "clarify"}
POST_ONLY = DECISIONS | {
    "officer-deactivate",
    "officer-reactivate",
    "officer-reset-authenticator",
    "officer-offices",
    "verification-request-assign",
    "verification-request-decide",
}


def officer_urls_for(reference: str) -> list[tuple[str, str]]:
    urls = [(name, reverse(f"officer:{name}", args=[reference])) for name in REFERENCE_URLS]
    urls += [(name, reverse(f"officer:{name}", kwargs=args)) for name, args in OTHER_URLS.items()]
    return urls + [(name, reverse(f"officer:{name}")) for name in PLAIN_URLS]


def test_every_officer_url_is_covered_here():
    covered = len(REFERENCE_URLS) + len(PLAIN_URLS) + len(OTHER_URLS)
    assert covered == len(officer_urls.urlpatterns)
    assert set(REFERENCE_URLS) == {"review"} | DECISIONS


def test_an_officer_of_another_agency_gets_404_for_every_page_and_document(
    submitted, oscar, officer_client
):
    client = officer_client(oscar)
    for name in REFERENCE_URLS:
        url = reverse(f"officer:{name}", args=[submitted.reference])
        method = client.post if name in DECISIONS else client.get
        assert method(url, {"reason": "x", "message": "x"}).status_code == 404, name
    for document in submitted.documents.all():
        url = reverse("applications:document", args=[submitted.reference, document.pk])
        assert client.get(url).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_an_officer_of_the_agency_can_open_the_documents_inline(submitted, olivia, officer_client):
    client = officer_client(olivia)
    document = submitted.documents.first()
    response = client.get(reverse("applications:document", args=[submitted.reference, document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")


def test_another_agencys_application_is_missing_from_the_queue(submitted, oscar, officer_client):
    page = officer_client(oscar).get(reverse("officer:queue") + "?scope=all")
    assert submitted.reference not in page.content.decode()


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_exporters_get_404_or_the_login_page_for_every_officer_url(who, request, submitted, client):
    client.force_login(request.getfixturevalue(who))
    for name, url in officer_urls_for(submitted.reference):
        method = client.post if name in POST_ONLY else client.get
        response = method(url)
        assert response.status_code in (302, 404), (name, response.status_code)
        if response.status_code == 302:
            assert "login" in response["Location"], (name, response["Location"])
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_strangers_are_sent_to_sign_in(submitted, client):
    for name, url in officer_urls_for(submitted.reference):
        response = (client.post if name in POST_ONLY else client.get)(url)
        assert response.status_code == 302, name
        assert "login" in response["Location"], name


def test_decision_urls_refuse_get(submitted, olivia, officer_client):
    client = officer_client(olivia)
    for name in DECISIONS:
        assert client.get(reverse(f"officer:{name}", args=[submitted.reference])).status_code == 405
    for name in POST_ONLY - DECISIONS:
        url = reverse(f"officer:{name}", kwargs=OTHER_URLS[name])
        assert client.get(url).status_code == 405
