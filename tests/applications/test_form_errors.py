"""Every form, submitted empty, says for each required field what to enter ("Enter the port of
loading"), never "This field is required."; the error summary links to each field and the page
loads the script that moves focus to it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.forms import OTPForm, ResetPasswordForm, SetPasswordForm, TOTPForm
from applications.models import Status
from tests.clients import verified_client
from tests.officer.factories import submitted_application

GENERIC = "This field is required."
AUTOFOCUS = "js/autofocus"


def url(name: str, application) -> str:
    return reverse(f"applications:{name}", args=[application.reference])


def refused(client: Client, path: str, data: dict | None = None, form: str = "form"):
    # As a browser sends it: the CSRF token (not checked by the test client) and empty fields.
    response = client.post(path, {"csrfmiddlewaretoken": "token", **(data or {})})
    assert response.status_code in {200, 400, 422}, response.status_code
    html = response.content.decode()
    assert GENERIC not in html
    errors = {name: list(messages) for name, messages in response.context[form].errors.items()}
    return errors, html


def assert_summary_links(html: str, fields: dict[str, str]) -> None:
    """Each message is in the summary, as a link to its field; the focus script is loaded."""
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    for field_id, message in fields.items():
        assert f'<a href="#{field_id}">{message}</a>' in summary, (field_id, message)
        assert re.search(rf'id="{field_id}"', html), field_id
    assert AUTOFOCUS in html


# --- Exporter -------------------------------------------------------------------------------


def test_the_start_form_names_each_empty_choice(alice_client, reference_data):
    errors, html = refused(alice_client, reverse("applications:new"))
    assert errors == {
        "certificate_type": ["Choose the type of certificate."],
        "destination_country": ["Choose the destination country."],
        "office": ["Choose the issuing agency and office."],
    }
    assert_summary_links(
        html,
        {
            "id_certificate_type_0": "Choose the type of certificate.",
            "id_destination_country": "Choose the destination country.",
            "id_office": "Choose the issuing agency and office.",
        },
    )


SECTIONS = {
    "parties": {
        "consignee_name": "Enter the consignee&#x27;s name.",
        "consignee_address": "Enter the consignee&#x27;s address.",
        "consignee_country": "Choose the consignee&#x27;s country.",
    },
    "transport": {
        "transport_mode": "Choose the mode of transport.",
        "vessel_or_flight": "Enter the vessel, flight or vehicle.",
        "port_of_loading": "Enter the port of loading.",
        "port_of_discharge": "Enter the port of discharge.",
        "departure_date": "Enter the departure date.",
    },
    "declaration": {
        "declaration_name": "Enter the name of the signatory.",
        "declaration_designation": "Enter the signatory&#x27;s designation.",
        "declaration_place": "Enter the place where the declaration is made.",
        "declaration_date": "Enter the date of the declaration.",
        "declaration_accepted": "Tick the box to make the declaration.",
    },
}


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_names_each_empty_field(alice_client, draft, section):
    errors, html = refused(alice_client, url(section, draft))
    expected = SECTIONS[section]
    assert {k: [v.replace("&#x27;", "'")] for k, v in expected.items()} == errors
    assert_summary_links(html, {f"id_{name}": message for name, message in expected.items()})


def test_the_invoice_form_names_each_empty_field(alice_client, draft):
    errors, html = refused(alice_client, url("invoices", draft))
    assert errors == {
        "number": ["Enter the invoice number."],
        "date": ["Enter the invoice date."],
        "currency": ["Enter the currency of the invoice, such as USD."],
    }
    assert_summary_links(html, {"id_number": "Enter the invoice number."})


def test_the_item_form_names_each_empty_field(alice_client, draft):
    errors, html = refused(alice_client, url("item-add", draft))
    expected = {
        "description": "Enter the description of the goods.",
        "hs_code": "Enter the 8-digit HS code.",
        "origin_criterion": "Choose the origin criterion.",
        "package_count": "Enter the number of packages.",
        "package_kind": "Enter the kind of packages, such as cartons.",
        "quantity": "Enter the quantity.",
        "unit": "Enter the unit of quantity, such as pcs or kg.",
        "gross_weight_kg": "Enter the gross weight in kg.",
        "fob_value": "Enter the FOB value.",
        "fob_currency": "Enter the FOB currency, such as USD.",
    }
    assert errors == {k: [v] for k, v in expected.items()}
    assert_summary_links(html, {f"id_{name}": message for name, message in expected.items()})
    # The summary reads in the order of the page: description and HS code first.
    summary = html.split('class="error-summary"', 1)[1]
    positions = [summary.index(f'href="#id_{name}"') for name in expected]
    assert positions == sorted(positions)
    page = html.split("<h1>", 1)[1]
    fields = [page.index(f'id="id_{name}"') for name in expected]
    assert fields == sorted(fields)


def test_the_upload_forms_say_what_to_choose(alice_client, draft):
    errors, html = refused(alice_client, url("documents", draft), {"kind": ""})
    assert errors == {
        "kind": ["Choose the type of document."],
        "file": ["Choose the file to upload."],
    }
    assert_summary_links(html, {"id_file": "Choose the file to upload."})
    errors, _ = refused(alice_client, url("goods-upload", draft))
    assert errors == {"file": ["Choose the CSV file of goods to upload."]}


def test_an_empty_clarification_reply_is_an_error_at_the_box(alice_client, ready):
    ready.status = Status.CLARIFICATION_REQUESTED  # set up: the officer has asked
    ready.save(update_fields=["status"])
    errors, html = refused(alice_client, url("submit", ready), {"reply": "  "}, form="reply_form")
    assert errors == {"reply": ["Enter your reply to the officer."]}
    assert_summary_links(html, {"id_reply": "Enter your reply to the officer."})
    assert 'id="id_reply_error"' in html  # the message is at the box, not in a banner
    ready.refresh_from_db()
    assert ready.status == Status.CLARIFICATION_REQUESTED


# --- Officer and agency administrator -------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "form", "field", "message"),
    [
        ("reject", "reject_form", "reason", "Give the reason for rejecting the application."),
        ("clarify", "clarify_form", "message", "Write what the exporter needs to clarify."),
    ],
)
def test_the_officer_decisions_name_the_empty_field(
    alice, olivia, eic_mumbai, action, form, field, message
):
    application = submitted_application(exporter=alice, office=eic_mumbai)
    path = reverse(f"officer:{action}", args=[application.reference])
    errors, html = refused(verified_client(olivia), path, form=form)
    assert errors == {field: [message]}
    assert AUTOFOCUS in html


def test_the_reassign_form_names_the_empty_choice(alice, ada, eic_mumbai):
    application = submitted_application(exporter=alice, office=eic_mumbai)
    path = reverse("officer:reassign", args=[application.reference])
    errors, _ = refused(verified_client(ada), path, form="reassign_form")
    assert errors == {"to_officer": ["Choose the officer to assign it to."]}


# --- Registration, sign-in and password reset -----------------------------------------------

CAPTCHA = "Type the characters in the image."


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "accounts:register",
            {
                "iec": "Enter your IEC Code.",
                "email": "Enter the email ID registered against your IEC.",
                "mobile": "Enter the mobile number registered against your IEC.",
                "captcha": CAPTCHA,
            },
        ),
        (
            "accounts:login",
            {
                "iec": "Enter your IEC Code, username or email.",
                "password": "Enter your password.",
                "captcha": CAPTCHA,
            },
        ),
        (
            "accounts:password-reset",
            {"iec": "Enter your IEC Code, username or email.", "captcha": CAPTCHA},
        ),
        (
            "accounts:officer-login",
            {
                "username": "Enter your username.",
                "password": "Enter your password.",
                "captcha": CAPTCHA,
            },
        ),
    ],
)
def test_the_sign_in_and_registration_forms_name_each_empty_field(db, name, expected):
    response = Client().post(reverse(name), {"csrfmiddlewaretoken": "token"})
    html = response.content.decode()
    assert GENERIC not in html
    errors = response.context["form"].errors
    for field, message in expected.items():
        assert errors[field] == [message]
    assert AUTOFOCUS in html


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (OTPForm(data={}), {"code": "Enter the 6-digit code from the SMS."}),
        (
            SetPasswordForm(None, data={}),
            {"password1": "Enter a password.", "password2": "Enter the password again."},
        ),
        (
            ResetPasswordForm(None, data={}),
            {
                "code": "Enter the 6-digit code from the SMS.",
                "password1": "Enter a password.",
                "password2": "Enter the password again.",
            },
        ),
        (TOTPForm(data={}), {"code": "Enter the 6-digit code from your authenticator app."}),
    ],
    ids=["mobile-code", "set-password", "reset-password", "authenticator-code"],
)
def test_the_code_and_password_forms_name_each_empty_field(form, expected):
    assert {k: list(v) for k, v in form.errors.items()} == {k: [v] for k, v in expected.items()}


def test_a_page_without_errors_does_not_load_the_focus_script(alice_client, draft):
    assert AUTOFOCUS not in alice_client.get(url("transport", draft)).content.decode()


def test_the_revocation_form_names_the_empty_reason(db):
    from certificates.forms import RevokeForm

    assert RevokeForm(data={}).errors == {
        "reason": ["Give the reason for revoking the certificate."]
    }


def test_the_verification_forms_name_each_empty_field(db):
    from verification.forms import CredentialForm, DocumentForm, VerifyForm

    assert VerifyForm(data={}).errors == {
        "number": ["Enter the certificate number"],
        "code": ["Enter the verification code"],
    }
    assert DocumentForm(data={}, files={}).errors == {
        "document": ["Choose the certificate PDF to check"]
    }
    assert CredentialForm(data={}, files={}).errors == {
        "__all__": ["Paste the credential or choose its file"]
    }
