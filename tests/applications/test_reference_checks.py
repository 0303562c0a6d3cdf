"""What the exporter types is checked against reference data: HS 2022 (8-digit suggestions, search
by words, chapters 01-97), ISO 4217 currencies, date windows, repeated invoice numbers, the type
of an uploaded scan, and country names; each refusal or warning says what is wrong."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from applications.models import HSCode
from reference.management.commands.seed_reference import Command as SeedReference
from tests import factories

from .conftest import tiny_png
from .test_goods import GOOD, add, errors


def url(name: str, application) -> str:
    return reverse(f"applications:{name}", args=[application.reference])


@pytest.fixture
def hs2022(db) -> None:
    """The whole HS 2022 nomenclature, loaded by the loader `seed_reference` uses."""
    SeedReference()._hs_codes()


def suggest(client, text: str):
    return client.get(reverse("applications:hs-lookup"), {"hs_code": text}).context["suggestions"]


# --- HS codes ------------------------------------------------------------------------------


def test_suggestions_fill_the_eight_digit_field_and_say_the_00_is_a_start(alice_client, hs2022):
    response = alice_client.get(reverse("applications:hs-lookup"), {"hs_code": "610910"})
    html = response.content.decode()
    assert 'value="61091000"' in html
    assert 'value="610910"' not in html
    assert "610910 + 00 (a start: check your tariff line)" in html


def test_black_pepper_finds_pepper_of_heading_0904_first(alice_client, hs2022):
    found = suggest(alice_client, "black pepper")
    assert found
    assert found[0].code.startswith("0904")
    assert {s.code for s in found[:2]} == {"090411", "090412"}


def test_words_match_whole_words_in_any_order(alice_client, hs2022):
    assert {s.code for s in suggest(alice_client, "frozen shrimps")[:2]} == {"030616", "030617"}
    # "ink" is printing ink, not the "ink" inside "drinking"
    found = suggest(alice_client, "ink")
    assert found
    assert all(re.search(r"\bink", s.description, re.IGNORECASE) for s in found)


def test_chapter_99_is_neither_suggested_nor_accepted(alice_client, draft, hs2022):
    assert HSCode.objects.filter(code="999999").exists()  # it is in the data file
    assert suggest(alice_client, "9999") == []
    assert [s.code for s in suggest(alice_client, "commodities not specified")][:1] != ["999999"]
    response = add(alice_client, draft, hs_code="99999900")
    assert errors(response)["hs_code"] == [
        "99 is not an HS chapter. The first two digits are the chapter, from 01 to 97 "
        "(77 is reserved); 98 and 99 are national or statistical codes, not kinds of goods."
    ]
    assert not draft.items.exists()


def test_a_code_of_a_real_chapter_is_accepted(alice_client, draft, hs2022):
    assert add(alice_client, draft, hs_code="09041100").status_code == 302
    assert draft.items.get().hs_code == "09041100"


def test_the_form_says_plainly_that_only_the_6_digit_subheading_is_checked(
    alice_client, draft, hs2022
):
    """Issue 33, item 8: no authoritative ITC(HS) schedule could be obtained, so an 8-digit
    line that is not DGFT's (09041199) is accepted: the form must say that only the first six
    digits are checked, beside the field, read out with it."""
    page = alice_client.get(url("item-add", draft)).content.decode()
    assert "Only the first 6 digits are checked</strong>, against the HS 2022 subheadings" in page
    assert "holds no copy of DGFT's ITC(HS) schedule" in page
    assert 'aria-describedby="id_hs_code_hint id_hs_code_scope' in page
    assert add(alice_client, draft, hs_code="09041199").status_code == 302  # as it says
    refused = add(alice_client, draft, hs_code="09041999")  # 090419 is no HS 2022 subheading
    assert errors(refused)["hs_code"] == ["090419 is not an HS 2022 subheading."]


# --- Currencies ----------------------------------------------------------------------------


def invoice(client, application, **changes):
    data = {"number": "INV-7", "date": timezone.localdate().isoformat(), "currency": "USD"}
    return client.post(url("invoices", application), {**data, **changes})


@pytest.mark.parametrize("code", ["XYZ", "XTS"])
def test_a_currency_that_is_not_iso_4217_is_refused(alice_client, draft, code):
    response = invoice(alice_client, draft, currency=code)
    assert response.context["form"].errors["currency"] == [
        f"{code} is not an ISO 4217 currency code. Enter a code such as USD, EUR or INR."
    ]
    response = add(alice_client, draft, fob_currency=code)
    assert errors(response)["fob_currency"] == [
        f"{code} is not an ISO 4217 currency code. Enter a code such as USD, EUR or INR."
    ]
    assert not draft.invoices.exists()
    assert not draft.items.exists()


def test_a_real_currency_is_accepted_in_any_case(alice_client, draft):
    assert invoice(alice_client, draft, currency="eur").status_code == 302
    assert draft.invoices.get().currency == "EUR"
    assert add(alice_client, draft, fob_currency="jpy").status_code == 302
    assert draft.items.get().fob_currency == "JPY"


# --- Dates ---------------------------------------------------------------------------------


def transport(client, application, departure: dt.date):
    data = {
        "transport_mode": "sea",
        "vessel_or_flight": "MV Ganga",
        "port_of_loading": "Nhava Sheva",
        "port_of_discharge": "Jakarta",
        "departure_date": departure.isoformat(),
    }
    return client.post(url("transport", application), data)


def test_a_departure_in_the_past_is_refused(alice_client, draft):
    response = transport(alice_client, draft, dt.date(2020, 3, 1))
    assert response.context["form"].errors["departure_date"] == [
        "Enter a departure date that is today or in the future."
    ]


def test_a_departure_more_than_six_months_ahead_is_refused(alice_client, draft):
    today = timezone.localdate()
    latest = today + dt.timedelta(days=183)
    response = transport(alice_client, draft, latest + dt.timedelta(days=1))
    assert response.context["form"].errors["departure_date"] == [
        f"Enter a departure date within the next 6 months (on or before "
        f"{latest.day} {latest:%B %Y})."
    ]
    assert transport(alice_client, draft, latest).status_code == 302
    assert transport(alice_client, draft, today).status_code == 302


def test_an_invoice_date_in_the_future_or_over_a_year_old_is_refused(alice_client, draft):
    today = timezone.localdate()
    response = invoice(alice_client, draft, date=(today + dt.timedelta(days=1)).isoformat())
    assert response.context["form"].errors["date"] == [
        "Enter an invoice date that is today or in the past."
    ]
    earliest = today - dt.timedelta(days=365)
    response = invoice(alice_client, draft, date=(earliest - dt.timedelta(days=1)).isoformat())
    assert response.context["form"].errors["date"] == [
        f"Enter an invoice date within the last 12 months (on or after "
        f"{earliest.day} {earliest:%B %Y})."
    ]
    assert invoice(alice_client, draft, date=earliest.isoformat()).status_code == 302


# --- Repeated invoice numbers --------------------------------------------------------------


def test_an_invoice_number_on_the_firms_other_applications_is_warned_about_not_refused(
    alice_client, alice, bob, draft, django_assert_max_num_queries
):
    first = factories.ApplicationFactory(exporter=alice)
    second = factories.ApplicationFactory(exporter=alice)
    factories.InvoiceFactory(application=first, number="EXP/0042")
    factories.InvoiceFactory(application=second, number="EXP/0042")
    factories.InvoiceFactory(application=factories.ApplicationFactory(exporter=bob), number="B-1")
    assert invoice(alice_client, draft, number="EXP/0042").status_code == 302  # not refused
    with django_assert_max_num_queries(13):
        html = alice_client.get(url("invoices", draft)).content.decode()
    references = ", ".join(sorted([first.reference, second.reference]))
    assert f"Invoice EXP/0042 is also on {references}." in html
    assert "Check that the same shipment is not certified twice" in html


def test_invoice_numbers_are_compared_only_within_the_firm(alice_client, bob, draft):
    factories.InvoiceFactory(
        application=factories.ApplicationFactory(exporter=bob), number="EXP/0042"
    )
    invoice(alice_client, draft, number="EXP/0042")
    html = alice_client.get(url("invoices", draft)).content.decode()
    assert "Invoice numbers used before" not in html


# --- Uploads -------------------------------------------------------------------------------


def uploaded_and_checked(client, draft, name: str, kind: str):
    """The upload, its check (run when the upload commits, eagerly here), and the page the
    browser is sent back to, which tells the result."""
    upload = SimpleUploadedFile(name, tiny_png(), content_type="application/octet-stream")
    with TestCase.captureOnCommitCallbacks(execute=True):
        posted = client.post(url("documents", draft), {"kind": kind, "file": upload})
    return client.get(posted["Location"])


def test_a_png_named_pdf_is_kept_as_a_png_and_the_page_says_so(alice_client, draft):
    # The content is checked after the upload commits (off the web thread); the page then says.
    response = uploaded_and_checked(alice_client, draft, "scan.pdf", "commercial_invoice")
    document = draft.documents.get()
    assert (document.content_type, document.original_name) == ("image/png", "scan.png")
    html = response.content.decode()
    assert (
        "Commercial invoice uploaded. The file was named scan.pdf, but it is a PNG image, "
        "so it is kept as scan.png." in html
    )
    assert ">scan.png</a>" in html


def test_a_png_named_png_is_kept_as_it_was_named(alice_client, draft):
    response = uploaded_and_checked(alice_client, draft, "Scan.PNG", "packing_list")
    assert draft.documents.get().original_name == "Scan.PNG"
    assert "Packing list uploaded.</" in response.content.decode()


# --- Countries and placeholders ------------------------------------------------------------


def test_countries_have_their_english_names(alice_client, draft):
    assert countries.name("NR") == "Nauru"
    html = alice_client.get(url("parties", draft)).content.decode()
    assert '<option value="NR">Nauru</option>' in html
    assert "Naoero" not in html


def test_selects_say_what_to_choose(alice_client, draft, reference_data):
    pages = [url("parties", draft), url("transport", draft), reverse("applications:new")]
    html = "".join(alice_client.get(page).content.decode() for page in pages)
    assert "---------" not in html
    assert '<option value="" selected>Choose a country</option>' in html
    assert "Choose the mode of transport</option>" in html


def test_the_item_form_still_takes_a_good_line(alice_client, draft, hs2022):
    assert add(alice_client, draft, **GOOD).status_code == 302


def test_the_search_by_words_uses_the_full_text_index_on_postgresql(hs2022):
    from django.db import connection

    from reference.hs import _matching

    if connection.vendor != "postgresql":
        pytest.skip("full-text search is PostgreSQL's; SQLite matches word by word")
    sql, params = _matching("pepper").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{HSCode._meta.db_table}"')
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "applications_hscode_description_fts" in plan
