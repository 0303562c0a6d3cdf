"""Apply for COO: type, agreement, destination and office make a numbered draft."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from applications.models import Application, ApplicationEvent, Status

pytestmark = pytest.mark.django_db
NEW = "/applications/new/"


def test_a_preferential_application_starts_as_a_numbered_draft(alice, alice_client, reference_data):
    response = alice_client.post(
        NEW,
        {
            "certificate_type": "preferential",
            "agreement": reference_data["aifta"].pk,
            "destination_country": "ID",
            "office": reference_data["eic_mumbai"].pk,
        },
    )
    application = Application.objects.get(exporter=alice)
    assert re.fullmatch(r"COO-\d{4}-\d{6}", application.reference)
    assert application.status == Status.DRAFT
    assert application.agency == reference_data["eic_mumbai"].agency
    assert response["Location"] == reverse("applications:tasks", args=[application.reference])
    assert ApplicationEvent.objects.filter(application=application).count() == 1


def test_references_are_consecutive(alice, alice_client, reference_data):
    data = {
        "certificate_type": "non_preferential",
        "destination_country": "AE",
        "office": reference_data["fieo_delhi"].pk,
    }
    alice_client.post(NEW, data)
    alice_client.post(NEW, data)
    first, second = sorted(int(a.reference[-6:]) for a in Application.objects.all())
    assert second == first + 1


def test_a_destination_outside_the_agreement_is_refused(alice_client, reference_data):
    response = alice_client.post(
        NEW,
        {
            "certificate_type": "preferential",
            "agreement": reference_data["aifta"].pk,
            "destination_country": "US",
            "office": reference_data["eic_mumbai"].pk,
        },
    )
    assert response.status_code == 200
    assert "destination_country" in response.context["form"].errors
    assert not Application.objects.exists()


def test_an_office_whose_agency_cannot_certify_the_agreement_is_refused(
    alice_client, reference_data
):
    response = alice_client.post(
        NEW,
        {
            "certificate_type": "preferential",
            "agreement": reference_data["aifta"].pk,
            "destination_country": "ID",
            "office": reference_data["fieo_delhi"].pk,
        },
    )
    assert "office" in response.context["form"].errors
    assert not Application.objects.exists()


def test_preferential_needs_an_agreement(alice_client, reference_data):
    response = alice_client.post(
        NEW,
        {
            "certificate_type": "preferential",
            "destination_country": "ID",
            "office": reference_data["eic_mumbai"].pk,
        },
    )
    assert "agreement" in response.context["form"].errors


def test_choosing_an_agreement_narrows_destinations_and_offices(alice_client, reference_data):
    response = alice_client.get(
        NEW,
        {"certificate_type": "preferential", "agreement": reference_data["aifta"].pk},
        headers={"HX-Request": "true"},
    )
    form = response.context["form"]
    codes = {code for code, _ in form.fields["destination_country"].choices if code}
    assert codes == {"BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN"}
    assert list(form.fields["office"].queryset) == [reference_data["eic_mumbai"]]
    assert b"<html" not in response.content  # only the fragment for htmx


def test_the_task_list_shows_each_section_not_started(alice_client, draft):
    response = alice_client.get(reverse("applications:tasks", args=[draft.reference]))
    states = {s.key: s.state for s in response.context["sections"]}
    assert set(states.values()) == {"not_started"}
    assert set(states) == {"parties", "transport", "invoices", "goods", "documents", "declaration"}
