"""The officer's review page shows, at the top, the exporter's reply to a clarification and
what changed since it was asked for: fields, goods and documents (applications/snapshots.py)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications import workflow
from applications.models import DocumentKind
from tests import factories

from .factories import document_for

pytestmark = pytest.mark.django_db

QUESTION = "Send the signed commercial invoice and correct the port."
REPLY = "Signed invoice uploaded; port corrected to Mundra."


@pytest.fixture
def asked(submitted, olivia):
    workflow.application_start_review(application_id=submitted.pk, officer=olivia)
    workflow.application_request_clarification(
        application_id=submitted.pk, officer=olivia, message=QUESTION
    )
    return submitted


def resubmit(application):
    # The exporter changed it after signing: the declaration is signed again before resubmitting.
    factories.declaration_sign(application)
    workflow.application_resubmit(
        application_id=application.pk, exporter=application.exporter, reply=REPLY
    )


def page(officer_client, olivia, application):
    return officer_client(olivia).get(reverse("officer:review", args=[application.reference]))


def test_the_reply_and_every_kind_of_change_are_at_the_top(
    asked, olivia, officer_client, django_assert_max_num_queries
):
    asked.port_of_loading = "Mundra"
    asked.save(update_fields=["port_of_loading"])
    item = asked.items.get()
    item.gross_weight_kg = item.gross_weight_kg + 1
    item.save(update_fields=["gross_weight_kg"])
    asked.documents.filter(kind=DocumentKind.PACKING_LIST).delete()
    document_for(asked, DocumentKind.PACKING_LIST, png=True)
    resubmit(asked)

    with django_assert_max_num_queries(45):
        html = page(officer_client, olivia, asked).content.decode()

    top = html.index('aria-label="The exporter\'s reply"')
    assert top < html.index("<h2>Automatic checks</h2>")
    banner = html[top : html.index("</div>", top)]
    assert QUESTION in banner
    assert REPLY in banner
    assert "Changed: Port of loading: Nhava Sheva \u2192 Mundra" in banner
    assert "Goods: Item 1 gross weight kg: 125.500 \u2192 126.500" in banner
    assert "Document: Packing list (packing_list.pdf) deleted" in banner
    assert "Document: Packing list (packing_list.png) uploaded" in banner
    assert "Consignee" not in banner


def test_invoices_and_blanked_fields_show_their_old_and_new_values(asked, olivia, officer_client):
    asked.remarks = "Fragile"
    asked.save(update_fields=["remarks"])
    invoice = asked.invoices.get()
    old_number = invoice.number
    invoice.number = "INV/NEW/1"
    invoice.save(update_fields=["number"])
    resubmit(asked)

    html = page(officer_client, olivia, asked).content.decode()

    assert "Changed: Remarks: (blank) \u2192 Fragile" in html
    assert f"Changed: Invoices: {old_number} of " in html
    assert "\u2192 INV/NEW/1 of " in html


def test_a_reply_with_no_change_says_nothing_changed(asked, olivia, officer_client):
    resubmit(asked)
    html = page(officer_client, olivia, asked).content.decode()
    assert REPLY in html
    assert "Nothing: the exporter changed no field, item or document." in html


def test_no_reply_block_while_the_exporter_has_not_answered(asked, olivia, officer_client):
    html = page(officer_client, olivia, asked).content.decode()
    assert "The exporter replied" not in html


def test_the_reply_stays_while_the_officer_reviews_it_again(asked, olivia, officer_client):
    resubmit(asked)
    workflow.application_start_review(application_id=asked.pk, officer=olivia)
    html = page(officer_client, olivia, asked).content.decode()
    assert "The exporter replied to your clarification" in html
