"""Goods: line items checked against HS 2022 and the agreement's origin criteria; CSV upload."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

GOOD = {
    "marks_and_numbers": "PTN/1-10",
    "package_count": "10",
    "package_kind": "cartons",
    "description": "Cotton T-shirts",
    "hs_code": "61091000",
    "origin_criterion": "WO",
    "quantity": "500",
    "unit": "pcs",
    "gross_weight_kg": "120.5",
    "fob_value": "2500",
    "fob_currency": "USD",
}


def add(client, application, **changes):
    return client.post(
        reverse("applications:item-add", args=[application.reference]), {**GOOD, **changes}
    )


def errors(response) -> dict:
    return response.context["form"].errors


def test_a_valid_item_is_added_with_its_hs_description(alice_client, draft):
    response = add(alice_client, draft)
    assert response.status_code == 302
    item = draft.items.get()
    assert (item.position, item.hs_code, item.origin_criterion) == (1, "61091000", "WO")
    page = alice_client.get(reverse("applications:goods", args=[draft.reference]))
    assert "T-shirts, singlets and other vests" in page.content.decode()


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("61099900", "610999 is not an HS 2022 subheading."),
        ("610910", "Enter the HS code as 8 digits; 610910 has 6."),
        ("6109100012", "Enter the HS code as 8 digits; 6109100012 has 10."),
        ("61O9IOOO", "Enter the HS code in digits only, such as 85176290."),
    ],
)
def test_a_bad_hs_code_is_refused(alice_client, draft, code, message):
    response = add(alice_client, draft, hs_code=code)
    assert errors(response)["hs_code"] == [message]
    assert not draft.items.exists()


def test_dots_and_spaces_in_the_hs_code_are_ignored(alice_client, draft):
    add(alice_client, draft, hs_code="6109.10 00")
    assert draft.items.get().hs_code == "61091000"


def test_a_criterion_outside_the_agreement_is_refused(alice_client, draft):
    response = add(alice_client, draft, origin_criterion="CTC")
    assert "origin_criterion" in errors(response)


def test_a_value_content_criterion_needs_its_percentage(alice_client, draft):
    response = add(alice_client, draft, origin_criterion="RVC+CTSH")
    assert errors(response)["criterion_percentage"] == [
        "Enter the percentage for the RVC+CTSH criterion."
    ]
    add(alice_client, draft, origin_criterion="RVC+CTSH", criterion_percentage="35")
    assert draft.items.get().criterion_display == "RVC+CTSH 35%"


@pytest.mark.parametrize("field", ["quantity", "gross_weight_kg", "fob_value", "package_count"])
@pytest.mark.parametrize("value", ["0", "-5"])
def test_zero_or_negative_numbers_are_refused(alice_client, draft, field, value):
    response = add(alice_client, draft, **{field: value})
    assert field in errors(response)
    assert not draft.items.exists()


def test_a_non_preferential_item_has_no_criterion(alice, alice_client, reference_data):
    application = factories.ApplicationFactory(exporter=alice, office=reference_data["fieo_delhi"])
    add(alice_client, application, origin_criterion="WO")
    assert application.items.get().origin_criterion == ""


def test_an_item_is_edited_and_removed(alice_client, draft):
    add(alice_client, draft)
    item = draft.items.get()
    alice_client.post(
        reverse("applications:item-edit", args=[draft.reference, item.pk]),
        {**GOOD, "hs_code": "62034200", "description": "Cotton trousers"},
    )
    item.refresh_from_db()
    assert (item.hs_code, item.description) == ("62034200", "Cotton trousers")
    removed = alice_client.post(
        reverse("applications:item-remove", args=[draft.reference, item.pk]), follow=True
    )
    assert not draft.items.exists()
    assert "Item removed." in removed.content.decode()
    again = alice_client.post(
        reverse("applications:item-remove", args=[draft.reference, item.pk]), follow=True
    ).content.decode()
    assert "Item removed." not in again  # nothing was: the page says so
    assert "nothing was removed" in again


def test_hs_suggestions_match_digits_and_words(alice_client, hs_codes):
    by_digits = alice_client.get(reverse("applications:hs-lookup"), {"hs_code": "6109"})
    assert b'value="61091000"' in by_digits.content
    by_words = alice_client.get(reverse("applications:hs-lookup"), {"hs_code": "shrimps"})
    assert b'value="03061700"' in by_words.content
    exact = alice_client.get(reverse("applications:hs-lookup"), {"hs_code": "61091000"})
    assert b"HS 2022 610910: T-shirts" in exact.content


# --- CSV upload ------------------------------------------------------------------------------

HEADER = (
    "marks_and_numbers,package_count,package_kind,description,hs_code,origin_criterion,"
    "criterion_percentage,quantity,unit,gross_weight_kg,fob_value,fob_currency\n"
)


def upload(client, application, text: str):
    return client.post(
        reverse("applications:goods-upload", args=[application.reference]),
        {"file": SimpleUploadedFile("goods.csv", text.encode(), content_type="text/csv")},
    )


def test_a_valid_csv_imports_every_row(alice_client, draft):
    rows = (
        "A/1,10,cartons,T-shirts,61091000,WO,,500,pcs,120,2500,USD\n"
        "A/2,5,bales,Trousers,62034200,RVC,40,200,pcs,80,1500,USD\n"
    )
    response = upload(alice_client, draft, HEADER + rows)
    assert response.status_code == 302
    assert [i.position for i in draft.items.all()] == [1, 2]


def test_a_csv_with_one_bad_row_imports_nothing_and_names_the_row(alice_client, draft):
    rows = (
        "A/1,10,cartons,T-shirts,61091000,WO,,500,pcs,120,2500,USD\n"
        "A/2,5,bales,Trousers,61099900,WO,,200,pcs,80,1500,USD\n"
        "A/3,5,bales,Trousers,62034200,WO,,200,pcs,-1,1500,USD\n"
    )
    response = upload(alice_client, draft, HEADER + rows)
    assert response.status_code == 200
    problems = response.context["form"].row_errors
    assert "Row 3, column hs_code: 610999 is not an HS 2022 subheading." in problems
    assert any(p.startswith("Row 4, column gross_weight_kg") for p in problems)
    assert not any(p.startswith("Row 2") for p in problems)
    assert not draft.items.exists()
    assert "Row 3, column hs_code" in response.content.decode()


def test_the_csv_template_downloads_with_the_columns(alice_client, draft):
    response = alice_client.get(reverse("applications:goods-template", args=[draft.reference]))
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith(HEADER.strip())
