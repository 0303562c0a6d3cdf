"""A second exporter gets 404 for every URL of the first exporter's application."""

from __future__ import annotations

import pytest
from django.urls import get_resolver, reverse

from tests import factories

pytestmark = pytest.mark.django_db


def application_url_names() -> list[str]:
    resolver = get_resolver().namespace_dict["applications"][1]
    return sorted(
        name
        for name, _ in ((p.name, p) for p in resolver.url_patterns if "reference" in str(p.pattern))
    )


@pytest.fixture
def alices_things(ready):
    item = ready.items.get()
    payment = factories.PaymentFactory(application=ready, state="created", gateway_reference="")
    return {
        "reference": ready.reference,
        "item_id": item.pk,
        "invoice_id": ready.invoices.get().pk,
        "document_id": ready.documents.first().pk,
        "order_id": payment.order_id,
        "check_id": 1,  # an upload being checked: none of Alice's exists, so 404 whoever asks
    }


def kwargs_for(name: str, things: dict) -> dict:
    pattern = next(
        p for p in get_resolver().namespace_dict["applications"][1].url_patterns if p.name == name
    )
    return {k: things[k] for k in pattern.pattern.converters}


@pytest.mark.parametrize("name", application_url_names())
def test_bob_gets_404_for_every_url_of_alices_application(bob_client, alices_things, name):
    url = reverse(f"applications:{name}", kwargs=kwargs_for(name, alices_things))
    assert bob_client.get(url).status_code in {404, 405}
    assert bob_client.post(url, {"reply": "x", "outcome": "captured"}).status_code in {404, 405}
    assert bob_client.get(url).status_code != 200


def test_bob_gets_404_for_alices_sandbox_order_and_receipt(bob_client, alices_things, ready):
    sandbox = reverse("applications:payment-sandbox", args=[alices_things["order_id"]])
    assert bob_client.get(sandbox).status_code == 404
    assert bob_client.post(sandbox, {"outcome": "captured"}).status_code == 404
    factories.PaymentFactory(application=ready)
    assert (
        bob_client.get(reverse("applications:receipt", args=[ready.reference])).status_code == 404
    )


def test_nothing_of_alices_changed(bob_client, alices_things, ready):
    for name in application_url_names():
        bob_client.post(
            reverse(f"applications:{name}", kwargs=kwargs_for(name, alices_things)), {"reply": "x"}
        )
    ready.refresh_from_db()
    assert ready.status == "draft"
    assert ready.items.count() == 1
    assert ready.documents.count() == 2
