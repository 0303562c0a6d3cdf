"""A back-to-back certificate for goods re-exported as they came (issue 29, item 3): the
exporter gives the foreign certificate's number, issuer, country and date and uploads it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications.models import Status
from tests import factories

pytestmark = pytest.mark.django_db

PARTIES = {
    "consignee_name": "Gulf Traders LLC",
    "consignee_address": "Deira, Dubai",
    "consignee_country": "AE",
}


def url(name, application):
    return reverse(f"applications:{name}", args=[application.reference])


@pytest.fixture
def reexport(alice, reference_data):
    """Alice's complete, paid non-preferential draft to the UAE."""
    application = factories.ApplicationFactory(
        complete=True,
        exporter=alice,
        destination_country="AE",
        office=reference_data["eic_mumbai"],
    )
    factories.InvoiceFactory(application=application)
    factories.LineItemFactory(application=application)
    factories.DocumentFactory(application=application, kind="commercial_invoice")
    factories.DocumentFactory(application=application, kind="packing_list")
    factories.PaymentFactory(application=application)
    return application


def test_a_back_to_back_application_needs_the_foreign_certificates_details(
    alice_client, reexport
) -> None:
    response = alice_client.post(url("parties", reexport), {**PARTIES, "back_to_back": "on"})

    errors = response.context["form"].errors
    assert errors["foreign_certificate_number"] == ["Enter the foreign certificate's number."]
    assert set(errors) == {
        "foreign_certificate_number",
        "foreign_certificate_issuer",
        "foreign_certificate_country",
        "foreign_certificate_date",
    }


def test_it_is_not_submitted_without_the_foreign_certificate_uploaded(
    alice_client, reexport
) -> None:
    alice_client.post(
        url("parties", reexport),
        {
            **PARTIES,
            "back_to_back": "on",
            "foreign_certificate_number": "VN-2026-0007781",
            "foreign_certificate_issuer": "VCCI Ho Chi Minh City",
            "foreign_certificate_country": "VN",
            "foreign_certificate_date": "2026-02-10",
        },
    )
    refused = alice_client.post(url("submit", reexport), follow=True)
    assert "upload the foreign certificate of origin the goods arrived with" in (
        refused.content.decode()
    )

    factories.DocumentFactory(application=reexport, kind="foreign_certificate")
    factories.declaration_sign(reexport)  # what it says now, foreign certificate included
    alice_client.post(url("submit", reexport))

    reexport.refresh_from_db()
    assert reexport.status == Status.SUBMITTED
    assert reexport.foreign_certificate_country.code == "VN"


def test_a_preferential_application_is_not_offered_back_to_back(alice_client, draft) -> None:
    page = alice_client.get(url("parties", draft)).content.decode()

    assert "back_to_back" not in page
