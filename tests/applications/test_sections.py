"""Parties, transport, invoices and declaration: each saves on its own."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.selectors import application_sections

pytestmark = pytest.mark.django_db


def url(name, application):
    return reverse(f"applications:{name}", args=[application.reference])


def states(application):
    application.refresh_from_db()
    return {s.key: s.state for s in application_sections(application)}


def test_parties_saved_in_full_are_completed(alice_client, draft):
    response = alice_client.post(
        url("parties", draft),
        {
            "consignee_name": "PT Nusantara",
            "consignee_address": "Jl. Sudirman 1, Jakarta",
            "consignee_country": "ID",
        },
    )
    assert response.status_code == 302
    assert states(draft)["parties"] == "completed"


def test_third_party_invoicing_needs_the_third_party(alice_client, draft):
    response = alice_client.post(
        url("parties", draft),
        {
            "consignee_name": "PT Nusantara",
            "consignee_address": "Jakarta",
            "consignee_country": "ID",
            "third_party_invoicing": "on",
        },
    )
    assert set(response.context["form"].errors) == {
        "third_party_name",
        "third_party_address",
        "third_party_country",
    }


def test_save_and_come_back_later_keeps_a_half_done_section_in_progress(alice_client, draft):
    alice_client.post(url("transport", draft), {"transport_mode": "sea", "later": "1"})
    assert states(draft)["transport"] == "in_progress"
    draft.refresh_from_db()
    assert draft.transport_mode == "sea"


def test_transport_without_a_departure_date_is_refused(alice_client, draft):
    response = alice_client.post(
        url("transport", draft),
        {
            "transport_mode": "sea",
            "vessel_or_flight": "MV Ratu",
            "port_of_loading": "Nhava Sheva",
            "port_of_discharge": "Jakarta",
        },
    )
    assert list(response.context["form"].errors) == ["departure_date"]


def test_invoices_are_added_and_removed(alice_client, draft):
    alice_client.post(
        url("invoices", draft),
        {"number": "INV-1", "date": timezone.localdate().isoformat(), "currency": "usd"},
    )
    invoice = draft.invoices.get()
    assert invoice.currency == "USD"
    assert states(draft)["invoices"] == "completed"
    alice_client.post(reverse("applications:invoice-remove", args=[draft.reference, invoice.pk]))
    assert not draft.invoices.exists()


def test_the_declaration_must_be_accepted(alice_client, draft):
    response = alice_client.post(
        url("declaration", draft),
        {
            "declaration_name": "Alice Shah",
            "declaration_designation": "Director",
            "declaration_place": "Mumbai",
            "declaration_date": "2026-11-20",
        },
    )
    assert "declaration_accepted" in response.context["form"].errors


def test_a_submitted_application_cannot_be_edited(alice_client, ready):
    from applications import workflow
    from tests.factories import PaymentFactory

    PaymentFactory(application=ready)
    workflow.application_submit(application_id=ready.pk, exporter=ready.exporter)
    response = alice_client.post(url("parties", ready), {"consignee_name": "Changed"})
    assert response["Location"] == url("detail", ready)
    ready.refresh_from_db()
    assert ready.consignee_name != "Changed"
