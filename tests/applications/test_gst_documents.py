"""Issue 26: the agency's tax profile, GST documents with every particular of CGST Rule 46, a
credit note for every refunded fee, and the monthly GST register and GSTR-1 tables."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from applications import tax, wallet, workflow
from applications.gst_register import (
    gstr1_b2b,
    gstr1_b2cs,
    gstr1_cdnr,
    register_documents,
    register_rows,
    taxable_value,
)
from applications.models import TaxInvoice
from reference.gst import gstin_check_character, gstin_problem
from reference.models import AgencyTaxProfileChange
from reference.services import TaxProfileError, agency_tax_profile_save
from tests import factories
from tests.clients import verified_client

from .wallet_helpers import fund

pytestmark = pytest.mark.django_db

EIC_GSTIN = "27AAPFU0939F1ZV"  # Maharashtra, a check character that is right
FIRM_GSTIN = "27AAGCB7383J1Z7"  # Maharashtra as well: CGST + SGST


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


def profile(agency, **overrides):
    values = {
        "legal_name": "Export Inspection Agency - Mumbai",
        "address": "Mittal Court, B Wing, 2nd floor\nNariman Point, Mumbai 400021",
        "state_code": "27",
        "gstin": EIC_GSTIN,
        "sac": "998399",
        "reverse_charge": False,
        "e_invoicing": False,
        **overrides,
    }
    return agency_tax_profile_save(agency=agency, actor=None, values=values)


def pay_from_wallet(alice, application, firm_gstin: str = FIRM_GSTIN):
    fund(alice, 1000)
    wallet.wallet_gstin_set(user=alice, gstin=firm_gstin)
    payment = wallet.wallet_pay_fee(application_id=application.pk, user=alice)
    return TaxInvoice.objects.get(payment=payment)


# --- the tax profile --------------------------------------------------------------------------


def test_a_gstin_is_checked_by_its_check_character():
    assert gstin_check_character("27AAPFU0939F1Z") == "V"
    assert gstin_problem(EIC_GSTIN) is None
    assert "does not match" in gstin_problem("27AAPFU0939F1ZW")
    assert "state code" in gstin_problem("99AAPFU0939F1ZV")
    assert "15 characters" in gstin_problem("27AAPFU0939")


def test_every_change_of_a_tax_profile_is_recorded_with_who_and_before_and_after(eic, olivia):
    first = profile(eic)
    agency_tax_profile_save(
        agency=eic, actor=olivia, values={"reverse_charge": True, "state_code": "27"}
    )
    first.refresh_from_db()
    assert first.reverse_charge is True
    change = AgencyTaxProfileChange.objects.filter(profile=first).first()
    assert change.changed_by == olivia
    assert change.changes == {"reverse_charge": [False, True]}
    with pytest.raises(TaxProfileError, match="does not match"):
        profile(eic, gstin="27AAPFU0939F1ZW")


# --- Rule 46 ----------------------------------------------------------------------------------


def test_a_tax_invoice_prints_every_particular_of_rule_46(alice, ready, eic):
    profile(eic)
    invoice = pay_from_wallet(alice, ready)
    assert invoice.kind == "tax_invoice"
    assert len(invoice.number) <= 16
    text = pdf_text(tax.document_pdf(invoice))
    firm = ready.firm
    date = f"{timezone.localtime(invoice.issued_at):%d %B %Y}"
    particulars = {
        "title": "Tax invoice",
        "(a) supplier's name": "Export Inspection Agency - Mumbai",
        "(a) supplier's address": "Nariman Point, Mumbai 400021",
        "(a) supplier's GSTIN": f"GSTIN: {EIC_GSTIN}",
        "(b) serial number": f"Invoice number: {invoice.number}",
        "(c) date": f"Invoice date: {date}",
        "(d) recipient's name": firm.firm_name,
        "(d) recipient's address": "12 Marine Drive, Mumbai 400002",
        "(d) recipient's GSTIN": f"GSTIN: {FIRM_GSTIN}",
        "(d) recipient's state name and code": "State: Maharashtra (27)",
        "(g) SAC": "998399",
        "(h) description": f"Certificate of origin fee, application {ready.reference}",
        "(j) taxable value": "Taxable value 423.72",
        "(k) CGST rate and amount": "CGST @ 9% 38.14",
        "(k) SGST rate and amount": "SGST @ 9% 38.14",
        "(l) total in figures": "Total (INR) 500.00",
        "(l) total in words": "Total in words: Rupees five hundred only",
        "(n) place of supply": "Place of supply: Maharashtra (27)",
        "(p) reverse charge": "Tax payable on reverse charge: No",
    }
    missing = {k: v for k, v in particulars.items() if v not in text}
    assert missing == {}
    fonts = subprocess.run(
        ["/usr/bin/pdffonts", "-"], input=tax.document_pdf(invoice), capture_output=True
    ).stdout.decode()
    rows = fonts.splitlines()[2:]
    assert rows
    assert all(row.split()[-5] == "yes" for row in rows), fonts  # every font embedded


def test_another_states_recipient_is_charged_igst_at_the_recipients_place_of_supply(
    alice, ready, eic
):
    profile(eic)
    invoice = pay_from_wallet(alice, ready, firm_gstin="29AAGCB7383J1Z4")  # Karnataka
    text = pdf_text(tax.document_pdf(invoice))
    assert "Place of supply: Karnataka (29)" in text
    assert "IGST @ 18% 76.27" in text
    assert "CGST" not in text


def test_an_agency_without_a_gstin_issues_a_bill_of_supply_and_never_a_tax_invoice(
    alice, ready, eic
):
    profile(eic, gstin="")
    document = pay_from_wallet(alice, ready)
    assert document.kind == "bill_of_supply"
    assert (document.cgst_paise, document.sgst_paise, document.igst_paise) == (0, 0, 0)
    assert document.taxable_paise == document.total_paise == 50000
    assert not TaxInvoice.objects.filter(kind="tax_invoice").exists()
    text = pdf_text(tax.document_pdf(document))
    assert text.startswith("Bill of supply")
    assert "Tax invoice" not in text
    assert "CGST" not in text
    assert "IGST" not in text
    assert "not registered under GST" in text


def test_reverse_charge_follows_the_agencys_profile(alice, ready, eic):
    profile(eic, reverse_charge=True)
    invoice = pay_from_wallet(alice, ready)
    assert invoice.reverse_charge is True
    # The fee paid is the taxable value; the recipient pays the tax to the government.
    assert (invoice.taxable_paise, invoice.cgst_paise, invoice.sgst_paise) == (50000, 4500, 4500)
    assert invoice.collected_paise == 50000
    text = pdf_text(tax.document_pdf(invoice))
    assert "Tax payable on reverse charge: Yes" in text
    assert "payable by the recipient under reverse charge" in text


def test_without_reverse_charge_the_invoice_says_no(alice, ready, eic):
    profile(eic, reverse_charge=False)
    invoice = pay_from_wallet(alice, ready)
    assert invoice.reverse_charge is False
    assert invoice.collected_paise == invoice.total_paise == 50000


# --- withdrawal, credit note, register --------------------------------------------------------


def test_a_withdrawal_after_payment_issues_a_credit_note_listed_in_the_register_and_gstr1_balances(
    alice, alice_client, ready, eic, django_capture_on_commit_callbacks
):
    profile(eic)
    invoice = pay_from_wallet(alice, ready)
    page = alice_client.get(reverse("applications:withdraw", args=[ready.reference]))
    assert "will be refunded to your firm's fee wallet" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = alice_client.post(
            reverse("applications:withdraw", args=[ready.reference]), follow=True
        ).content.decode()

    credit = invoice.credit_notes.get()
    assert credit.kind == "credit_note"
    assert credit.number.startswith("EICC/")
    assert len(credit.number) <= 16
    assert credit.total_paise == invoice.total_paise
    assert f"credit note {credit.number} cancels tax invoice {invoice.number}" in done
    assert "refunded to your firm&#x27;s fee wallet" in done
    refunded = [m for m in mail.outbox if "refunded to your fee wallet" in m.subject]
    assert len(refunded) == 1
    assert f"Credit note {credit.number} cancels the fee's invoice {invoice.number}" in (
        refunded[0].body
    )
    statement = alice_client.get(reverse("applications:wallet")).content.decode()
    assert f"{credit.number}</a>" in statement
    assert f"cancels {invoice.number}" in statement
    credit_text = pdf_text(tax.document_pdf(credit))
    assert credit_text.startswith("Credit note")
    assert f"Against tax invoice {invoice.number}" in credit_text

    now = timezone.localtime()
    documents = list(register_documents(eic, now.year, now.month))
    assert [d.number for d in documents] == [invoice.number, credit.number]
    rows = list(register_rows(documents))
    assert [r[1] for r in rows[1:]] == [invoice.number, credit.number]
    assert rows[2][10] == "-423.72"  # the credit note reduces the month's taxable value

    b2b = list(gstr1_b2b(documents))
    cdnr = list(gstr1_cdnr(documents))
    b2cs = list(gstr1_b2cs(documents))
    assert [r[2] for r in b2b[1:]] == [invoice.number]
    assert [r[2] for r in cdnr[1:]] == [credit.number]
    assert len(b2cs) == 1  # no unregistered recipient this month
    register_net = taxable_value(register_rows(documents), "Taxable value")
    gstr1_net = (
        taxable_value(gstr1_b2b(documents), "Taxable Value")
        + taxable_value(gstr1_b2cs(documents), "Taxable Value")
        - taxable_value(gstr1_cdnr(documents), "Taxable Value")
    )
    assert register_net == gstr1_net == Decimal("0.00")


def test_b2cs_sums_unregistered_recipients_net_of_their_credit_notes(alice, ready, eic):
    profile(eic)
    invoice = pay_from_wallet(alice, ready, firm_gstin="")
    workflow.application_withdraw(application_id=ready.pk, exporter=alice)
    now = timezone.localtime()
    documents = list(register_documents(eic, now.year, now.month))
    assert len(documents) == 2
    b2cs = list(gstr1_b2cs(documents))
    assert b2cs[1][:2] == ["OE", "27-Maharashtra"]
    assert b2cs[1][4] == "0.00"
    assert len(list(gstr1_b2b(documents))) == 1
    assert invoice.credit_notes.count() == 1


def test_the_agencys_administrator_downloads_its_register_and_gstr1_tables_and_an_officer_not(
    alice, ready, eic, ada, olivia, django_assert_max_num_queries
):
    profile(eic)
    invoice = pay_from_wallet(alice, ready)
    now = timezone.localtime()
    admin = verified_client(ada)
    with django_assert_max_num_queries(12):
        register = admin.get(reverse("applications:gst-register", args=[now.year, now.month]))
        body = b"".join(register.streaming_content).decode()
    assert register["Content-Type"].startswith("text/csv")
    assert invoice.number in body
    b2b = admin.get(reverse("applications:gstr1", args=[now.year, now.month, "b2b"]))
    assert invoice.number in b"".join(b2b.streaming_content).decode()
    assert admin.get(reverse("applications:gstr1", args=[now.year, 13, "b2b"])).status_code == 404
    officer = verified_client(olivia)
    url = reverse("applications:gst-register", args=[now.year, now.month])
    assert officer.get(url).status_code == 404


def test_platform_staff_edit_a_tax_profile_in_the_admin_and_the_change_is_recorded(eic, ada):
    operator = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    staff = verified_client(operator)
    add = reverse("admin:reference_agencytaxprofile_add")
    form = {
        "agency": eic.pk,
        "legal_name": "Export Inspection Agency - Mumbai",
        "address": "Nariman Point, Mumbai 400021",
        "state_code": "27",
        "gstin": "27AAPFU0939F1ZW",  # one character wrong
        "sac": "998399",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
    }
    refused = staff.post(add, form)
    assert refused.status_code == 200
    assert "does not match the rest" in refused.content.decode()
    assert staff.post(add, {**form, "gstin": EIC_GSTIN}).status_code == 302
    change = AgencyTaxProfileChange.objects.get(profile__agency=eic)
    assert change.changed_by == operator
    assert change.changes["gstin"] == [None, EIC_GSTIN]
    # An agency's own administrator never edits it (platform staff only).
    assert verified_client(ada).get(add).status_code == 403


def test_a_csv_cell_a_spreadsheet_would_run_is_quoted_and_a_negative_figure_is_not():
    from applications.gst_register import csv_lines

    line = "".join(csv_lines([["=HYPERLINK(1)", "-cmd|x", "-423.72", "", "Alice Exports"]]))
    assert line == "'=HYPERLINK(1),'-cmd|x,-423.72,,Alice Exports\r\n"
