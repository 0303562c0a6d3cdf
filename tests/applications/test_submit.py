"""Submit, resubmit after clarification, withdraw, copy."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import workflow
from applications.models import Application, Status
from tests import factories

pytestmark = pytest.mark.django_db


def url(name, application):
    return reverse(f"applications:{name}", args=[application.reference])


def test_submit_is_refused_and_says_what_is_missing(alice_client, draft):
    response = alice_client.post(url("submit", draft), follow=True)
    text = response.content.decode()
    for missing in (
        "Exporter and consignee",
        "Transport and route",
        "Invoices",
        "Goods",
        "Supporting documents",
        "declaration",
        "commercial invoice",
        "packing list",
        "pay the fee",
    ):
        assert missing in text
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_submit_is_refused_without_the_fee(alice_client, ready):
    response = alice_client.post(url("submit", ready), follow=True)
    assert "You cannot submit yet: pay the fee." in response.content.decode()


def test_submit_is_refused_without_the_packing_list(alice_client, ready):
    factories.PaymentFactory(application=ready)
    ready.documents.filter(kind="packing_list").delete()
    response = alice_client.post(url("submit", ready), follow=True)
    assert "upload the packing list" in response.content.decode()


def test_a_complete_paid_application_is_submitted_and_acknowledged(
    alice, alice_client, ready, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    alice.mobile = "+919800000001"
    alice.save()
    factories.PaymentFactory(application=ready)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url("submit", ready))
    assert response["Location"] == url("confirmation", ready)
    page = alice_client.get(response["Location"]).content.decode()
    assert "Application submitted" in page
    assert ready.reference in page
    ready.refresh_from_db()
    assert ready.status == Status.SUBMITTED
    assert ready.events.filter(to_status=Status.SUBMITTED).count() == 1
    assert [m.to for m in mail_outbox] == [[alice.email]]
    assert ready.reference in mail_outbox[0].subject
    assert len(sms_outbox) == 1


def clarification(application, officer, olivia_msg="Send the invoice signed."):
    factories.PaymentFactory(application=application)
    workflow.application_submit(application_id=application.pk, exporter=application.exporter)
    workflow.application_start_review(application_id=application.pk, officer=officer)
    workflow.application_request_clarification(
        application_id=application.pk, officer=officer, message=olivia_msg
    )


def test_after_clarification_the_exporter_edits_replies_and_resubmits_without_paying(
    alice_client, ready, olivia
):
    clarification(ready, olivia)
    tasks = alice_client.get(url("tasks", ready)).content.decode()
    assert "Send the invoice signed." in tasks
    alice_client.post(
        url("transport", ready),
        {
            "transport_mode": "air",
            "vessel_or_flight": "AI 342",
            "port_of_loading": "Mumbai",
            "port_of_discharge": "Jakarta",
            "departure_date": timezone.localdate().isoformat(),
        },
    )
    # The application changed after the declaration was signed: it is signed again first.
    refused = alice_client.post(url("submit", ready), {"reply": "Signed invoice attached."})
    assert refused["Location"] == url("detail", ready)
    ready.refresh_from_db()
    assert ready.status == Status.CLARIFICATION_REQUESTED
    factories.declaration_sign(ready)
    response = alice_client.post(url("submit", ready), {"reply": "Signed invoice attached."})
    assert response["Location"] == url("confirmation", ready)
    ready.refresh_from_db()
    assert ready.status == Status.SUBMITTED
    assert ready.transport_mode == "air"
    assert ready.payments.count() == 1
    assert ready.events.last().note == "Signed invoice attached."


def test_resubmit_needs_a_reply(alice_client, ready, olivia):
    clarification(ready, olivia)
    alice_client.post(url("submit", ready), {"reply": " "})
    ready.refresh_from_db()
    assert ready.status == Status.CLARIFICATION_REQUESTED


def test_withdraw_asks_for_confirmation_then_withdraws(alice_client, ready):
    page = alice_client.get(url("withdraw", ready))
    assert "Are you sure" in page.content.decode()
    ready.refresh_from_db()
    assert ready.status == Status.DRAFT
    alice_client.post(url("withdraw", ready))
    ready.refresh_from_db()
    assert ready.status == Status.WITHDRAWN


def test_a_decided_application_cannot_be_withdrawn(alice_client, ready, olivia):
    factories.PaymentFactory(application=ready)
    workflow.application_submit(application_id=ready.pk, exporter=ready.exporter)
    workflow.application_start_review(application_id=ready.pk, officer=olivia)
    workflow.application_reject(application_id=ready.pk, officer=olivia, reason="Wrong HS.")
    response = alice_client.post(url("withdraw", ready), follow=True)
    assert "cannot be withdrawn" in response.content.decode()


def test_copy_as_new_takes_parties_transport_invoices_and_goods_only(alice, alice_client, ready):
    factories.PaymentFactory(application=ready)
    response = alice_client.post(url("copy", ready))
    copy = Application.objects.exclude(pk=ready.pk).get(exporter=alice)
    assert response["Location"] == url("tasks", copy)
    assert copy.status == Status.DRAFT
    assert copy.reference != ready.reference
    assert copy.consignee_name == ready.consignee_name
    assert copy.port_of_loading == ready.port_of_loading
    assert copy.invoices.count() == 1
    assert copy.items.count() == 1
    assert not copy.documents.exists()
    assert not copy.payments.exists()
    assert not copy.declaration_accepted
