"""Every free-text field has a length limit, and a value over it is refused at the form with
the field's name and its limit (issue 18, finding 10: 18 items of 100,000 characters each
never issued and held up the office's other certificates)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from applications.forms import ReplyForm
from applications.models import Application, LineItem
from review.forms import ClarifyForm, RejectForm
from tests.applications.test_goods import GOOD, HEADER, upload

OUR_APPS = (
    "accounts",
    "applications",
    "certificates",
    "verification",
    "review",
    "reference",
    "coo_portal",
)
HUGE = "x" * 100_000


def our_forms() -> list[type[forms.BaseForm]]:
    found = []
    for app in OUR_APPS:
        package = importlib.import_module(app)
        for module_info in pkgutil.iter_modules(package.__path__):
            if "form" not in module_info.name:
                continue
            module = importlib.import_module(f"{app}.{module_info.name}")
            found += [
                cls
                for _, cls in inspect.getmembers(module, inspect.isclass)
                if issubclass(cls, forms.BaseForm)
                and cls.__module__ == module.__name__
                and hasattr(cls, "base_fields")  # not a bare mixin such as LengthLimitedForm
            ]
    return found


def test_every_text_field_of_every_form_has_a_max_length():
    forms_found = our_forms()
    assert {f.__name__ for f in forms_found} >= {
        "PartiesForm",
        "TransportForm",
        "DeclarationForm",
        "InvoiceForm",
        "LineItemForm",
        "ReplyForm",
        "ClarifyForm",
        "RejectForm",
        "ApproveForm",
        "RevokeForm",
    }
    unlimited = [
        f"{form.__module__}.{form.__name__}.{name}"
        for form in forms_found
        for name, field in form.base_fields.items()
        if isinstance(field, forms.CharField)
        and not field.max_length
        # A password is hashed, never stored, shown or printed; its length is bounded by the
        # request size limit (DATA_UPLOAD_MAX_MEMORY_SIZE).
        and not isinstance(field.widget, forms.PasswordInput)
    ]
    assert unlimited == []


@pytest.mark.parametrize("model", [Application, LineItem])
def test_no_free_text_field_of_an_application_or_its_items_is_unlimited(model):
    unlimited = [
        field.name
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField)
        or (isinstance(field, models.CharField) and not field.max_length)
    ]
    assert unlimited == []


@pytest.mark.django_db
def test_eighteen_items_of_100000_characters_are_each_refused_at_the_form(alice_client, draft):
    url = reverse("applications:item-add", args=[draft.reference])
    for _ in range(18):
        response = alice_client.post(url, {**GOOD, "description": HUGE})
        assert response.status_code == 200
        assert response.context["form"].errors["description"] == [
            "Description of goods must be 1000 characters or fewer (it has 100000)."
        ]
    assert not draft.items.exists()
    # At the limit, the description is accepted whole.
    assert alice_client.post(url, {**GOOD, "description": "y" * 1000}).status_code == 302
    assert draft.items.get().description == "y" * 1000


@pytest.mark.django_db
def test_a_csv_of_over_long_descriptions_imports_nothing_and_says_why(alice_client, draft):
    row = f"A/1,10,cartons,{HUGE},61091000,WO,,500,pcs,120,2500,USD\n"
    response = upload(alice_client, draft, HEADER + row * 5)
    assert response.status_code == 200
    problems = response.context["form"].row_errors
    assert (
        "Row 2, column description: Description of goods must be 1000 characters or fewer "
        "(it has 100000)." in problems
    )
    assert not draft.items.exists()


def test_officers_messages_and_the_exporters_reply_are_limited_with_a_clear_message():
    clarify = ClarifyForm({"message": "m" * 2001})
    reject = RejectForm({"reason": "r" * 2001})
    reply = ReplyForm({"reply": "a" * 4001})
    assert clarify.errors["message"] == [
        "What the exporter needs to clarify must be 2000 characters or fewer (it has 2001)."
    ]
    assert reject.errors["reason"] == [
        "Reason for rejection must be 2000 characters or fewer (it has 2001)."
    ]
    assert reply.errors["reply"] == [
        "Your reply to the officer must be 4000 characters or fewer (it has 4001)."
    ]
    assert ClarifyForm({"message": "m" * 2000}).is_valid()


@pytest.mark.django_db
def test_remarks_written_by_code_are_limited_by_the_model(draft):
    draft.remarks = "r" * 1001
    with pytest.raises(ValidationError) as caught:
        draft.full_clean()
    assert "remarks" in caught.value.message_dict
