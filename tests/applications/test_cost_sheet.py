"""An item's cost sheet: entered by the exporter, worked out next to the item, and a typed
criterion it contradicts refused at submission (issue 29, acceptance 2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from applications.models import CostSheet, Status
from tests import factories

pytestmark = pytest.mark.django_db


def sheet_url(application, item) -> str:
    return reverse("applications:cost-sheet", args=[application.reference, item.pk])


def post_data(materials: list[dict[str, Any]], **costs: str) -> dict[str, str]:
    data = {
        "method": "direct",
        "ex_works_value": "2300",
        "labour": "0",
        "overhead": "0",
        "profit": "0",
        "other_costs": "0",
        "materials-TOTAL_FORMS": str(len(materials)),
        "materials-INITIAL_FORMS": "0",
        "materials-MIN_NUM_FORMS": "0",
        "materials-MAX_NUM_FORMS": "1000",
        **costs,
    }
    for n, material in enumerate(materials):
        for name, value in material.items():
            data[f"materials-{n}-{name}"] = value
    return data


def material(hs: str, value: str, *, originating: bool = False, **more: str) -> dict[str, str]:
    fields = {
        "description": f"Material {hs}",
        "hs_code": hs,
        "origin_country": "VN" if not originating else "IN",
        "value": value,
        **more,
    }
    if originating:
        fields["originating"] = "on"
    return fields


@pytest.fixture
def item(ready):
    """The ready AIFTA draft's T-shirt (6109.10, FOB USD 2,500), claimed as RVC+CTSH."""
    line = ready.items.get()
    line.origin_criterion = "RVC+CTSH"
    line.save()
    return line


def test_the_exporter_enters_a_cost_sheet_and_sees_the_actual_percentage(
    alice_client, ready, item
) -> None:
    evidence = ready.documents.first()
    response = alice_client.post(
        sheet_url(ready, item),
        post_data(
            [
                material("520512", "500", evidence=str(evidence.pk)),
                material("320416", "100", originating=True),
            ]
        ),
        follow=True,
    )

    page = response.content.decode()
    # (2,500 - 500) / 2,500 x 100 = 80.00%, and yarn (5205) changes subheading from 6109.10.
    assert "Criterion worked out: <strong>RVC 80.00% + CTSH</strong> (qualifies)" in page
    sheet = CostSheet.objects.get(item=item)
    assert [m.hs_code for m in sheet.materials.all()] == ["520512", "320416"]
    assert sheet.materials.first().evidence == evidence
    goods = alice_client.get(reverse("applications:goods", args=[ready.reference])).content
    assert b"Worked out: <strong>RVC 80.00% + CTSH</strong>" in goods


def test_a_contradicted_criterion_is_shown_next_to_the_item_and_refused_at_submission(
    alice_client, ready, item
) -> None:
    alice_client.post(sheet_url(ready, item), post_data([material("610910", "400")]))
    factories.PaymentFactory(application=ready)
    factories.declaration_sign(ready)  # signed as the item now is

    goods = alice_client.get(reverse("applications:goods", args=[ready.reference]))
    response = alice_client.post(
        reverse("applications:submit", args=[ready.reference]), follow=True
    )

    message = "The cost sheet does not support RVC+CTSH: Material 610910 does not change CTSH."
    assert f'id="worksheet-{item.pk}"><span class="visually-hidden">Error:</span> {message}' in (
        goods.content.decode()
    )
    refusal = (
        f"You cannot submit yet: correct item {item.position}&#x27;s criterion ({message[:-1]})."
    )
    assert refusal in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == Status.DRAFT


def test_a_supported_criterion_submits(alice_client, ready, item) -> None:
    alice_client.post(sheet_url(ready, item), post_data([material("520512", "500")]))
    factories.PaymentFactory(application=ready)
    factories.declaration_sign(ready)  # signed as the item now is

    alice_client.post(reverse("applications:submit", args=[ready.reference]))

    ready.refresh_from_db()
    assert ready.status == Status.SUBMITTED


def test_evidence_must_be_one_of_the_applications_own_documents(
    alice_client, bob, ready, item
) -> None:
    others = factories.DocumentFactory(
        application=factories.ApplicationFactory(exporter=bob), kind="other"
    )

    response = alice_client.post(
        sheet_url(ready, item), post_data([material("520512", "500", evidence=str(others.pk))])
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CostSheet.objects.filter(item=item).exists()


def test_another_exporter_cannot_see_or_change_the_cost_sheet(bob_client, ready, item) -> None:
    response = bob_client.post(sheet_url(ready, item), post_data([material("520512", "1")]))

    assert response.status_code == 404
    assert not CostSheet.objects.filter(item=item).exists()


def test_a_saved_sheet_is_kept_when_saved_again_unchanged(alice_client, ready, item) -> None:
    alice_client.post(sheet_url(ready, item), post_data([material("520512", "500")]))
    page = alice_client.get(sheet_url(ready, item)).content.decode()
    assert 'value="520512"' in page

    data = post_data([material("520512", "500")])
    data["materials-INITIAL_FORMS"] = "1"
    alice_client.post(sheet_url(ready, item), data)

    assert CostSheet.objects.get(item=item).materials.get().value == Decimal("500.00")
