"""Acceptance 1: the page, the QR link and the API tell the same story about a certificate."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from applications.models import Invoice
from core.storage import StoredFileCorruptedError
from tests.verification.factories import CertificateFactory
from tests.verification.helpers import api_url, look_up, page_url, qr_url, revoke, supersede

pytestmark = pytest.mark.django_db

NUMBER = "EIC/2026/MUM/0000123"
CODE = "K7PX2M9QRT4W"


def assert_page_shows_the_facts(html: str) -> None:
    for fact in [
        NUMBER,
        "4 March 2026",  # issue date
        "Export Inspection Council",
        "EIA Mumbai",
        "Preferential",
        "ASEAN-India Free Trade Area",
        "Alice Exports",
        "Singapore",
        "Cotton knitted T-shirts for men",
        "61091000",
        "1,200 pieces",
        "450.5 pieces",
        "Silk scarves, hand-printed",
    ]:
        assert fact in html, fact


def test_the_empty_form_asks_for_number_and_code(client):
    response = client.get(reverse("verification:verify"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Certificate number" in html
    assert "Verification code" in html
    assert 'method="get"' in html


@pytest.mark.parametrize("channel", ["page", "qr"])
def test_a_valid_certificate_is_reported_valid_with_its_facts(client, certificate, channel):
    response = look_up(client, channel, NUMBER, CODE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h2>VALID</h2>" in html
    assert_page_shows_the_facts(html)
    assert "Make sure the address bar shows <strong>testserver</strong>" in html


def test_page_and_api_show_consignee_invoices_gross_weight_and_fob_value(client, certificate):
    Invoice.objects.create(
        application=certificate.application, number="AE/2026/0042", date=dt.date(2026, 3, 2)
    )

    html = look_up(client, "page", NUMBER, CODE).content.decode()
    body = client.get(api_url(NUMBER, CODE)).json()

    for fact in ("Lion City Apparel Pte Ltd", "AE/2026/0042 of 2 March 2026", "125.5 kg"):
        assert fact in html, fact
    assert "USD 4,800.00" in html
    assert body["consignee"] == {"name": "Lion City Apparel Pte Ltd"}
    assert body["invoices"] == [{"number": "AE/2026/0042", "date": "2026-03-02"}]
    assert body["items"][0]["fob_value"] == {"amount": "4800.00", "currency": "USD"}


def test_the_qr_link_has_the_shape_printed_on_the_certificate(certificate):
    assert qr_url(NUMBER, CODE) == "/verify/EIC/2026/MUM/0000123/?code=K7PX2M9QRT4W"


def test_the_page_offers_the_authentic_pdf(client, certificate):
    html = client.get(page_url(NUMBER, CODE)).content.decode()
    assert 'href="/verify/pdf/EIC/2026/MUM/0000123?code=K7PX2M9QRT4W"' in html


def test_the_api_reports_a_valid_certificate_with_its_facts(client, certificate):
    response = client.get(api_url(NUMBER, CODE))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["number"] == NUMBER
    assert body["status"] == "valid"
    assert body["issued_at"].startswith("2026-03-04T11:30:00")
    assert body["revoked_at"] is None
    assert body["superseded_by"] is None
    assert body["issuing_agency"] == {"code": "EIC", "name": "Export Inspection Council"}
    assert body["office"] == {"code": "MUM", "name": "EIA Mumbai", "city": "Mumbai"}
    assert body["certificate_type"] == "preferential"
    assert body["agreement"] == {"code": "AIFTA", "name": "ASEAN-India Free Trade Area"}
    assert body["exporter"] == {"name": "Alice Exports"}
    assert body["destination_country"] == {"code": "SG", "name": "Singapore"}
    assert body["consignee_country"] == {"code": "SG", "name": "Singapore"}
    assert body["items"][0] == {
        "position": 1,
        "description": "Cotton knitted T-shirts for men",
        "hs_code": "61091000",
        "quantity": "1200.000",
        "unit": "pieces",
        "gross_weight_kg": "125.500",
        "fob_value": {"amount": "4800.00", "currency": "USD"},
    }
    assert [item["hs_code"] for item in body["items"]] == ["61091000", "62046200", "62141000"]
    assert body["sha256"] == certificate.sha256
    assert body["pdf_url"] == "http://testserver/verify/pdf/EIC/2026/MUM/0000123?code=K7PX2M9QRT4W"
    assert body["verification_url"] == (
        "http://testserver/verify/EIC/2026/MUM/0000123/?code=K7PX2M9QRT4W"
    )


def test_after_revocation_page_qr_link_and_api_say_revoked_with_the_reason(
    client, certificate, ada
):
    revoke(certificate, "Issued on a forged invoice", actor=ada)
    for channel in ("page", "qr"):
        html = look_up(client, channel, NUMBER, CODE).content.decode()
        assert "<h2>REVOKED</h2>" in html, channel
        assert "Issued on a forged invoice" in html
        assert certificate.revoked_at.astimezone().strftime("%-d %B %Y") in html
    body = client.get(api_url(NUMBER, CODE)).json()
    assert body["status"] == "revoked"
    assert body["revocation_reason"] == "Issued on a forged invoice"
    assert body["revoked_at"] is not None


def test_after_replacement_page_qr_link_and_api_say_superseded_with_the_link(client, certificate):
    replacement = CertificateFactory(
        application__office=certificate.office, sequence=124, verification_code="Z9Y8X7W6V5U4"
    )
    supersede(certificate, by=replacement)
    link = "/verify/EIC/2026/MUM/0000124/?code=Z9Y8X7W6V5U4"
    for channel in ("page", "qr"):
        html = look_up(client, channel, NUMBER, CODE).content.decode()
        assert "<h2>SUPERSEDED</h2>" in html, channel
        assert f'<a href="{link}">EIC/2026/MUM/0000124</a>' in html
    body = client.get(api_url(NUMBER, CODE)).json()
    assert body["status"] == "superseded"
    assert body["superseded_by"] == {
        "number": "EIC/2026/MUM/0000124",
        "verification_url": "http://testserver" + link,
    }
    # The link leads to the replacement's own answer.
    assert "<h2>VALID</h2>" in client.get(link).content.decode()


def test_number_and_code_are_accepted_as_people_type_them(client, certificate):
    response = client.get(page_url(" eic/2026/mum/0000123 ", "k7px 2m9q-rt4w"))
    assert response.status_code == 200
    assert "<h2>VALID</h2>" in response.content.decode()


def test_the_qr_link_without_a_code_asks_for_it_with_the_number_filled_in(client, certificate):
    response = client.get(reverse("verification:verify-certificate", kwargs={"number": NUMBER}))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'value="{NUMBER}"' in html
    assert "VALID" not in html


def test_a_half_filled_form_says_what_is_missing(client, certificate):
    response = client.get(reverse("verification:verify") + "?number=" + NUMBER)
    assert response.status_code == 400
    assert "Enter the verification code" in response.content.decode()


def test_the_pdf_download_serves_the_stored_bytes_unchanged(client, certificate):
    response = client.get(f"/verify/pdf/{NUMBER}?code={CODE}")
    body = response.content
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == ('attachment; filename="EIC-2026-MUM-0000123.pdf"')
    assert hashlib.sha256(body).hexdigest() == certificate.sha256


def test_a_stored_pdf_whose_bytes_changed_is_refused_like_the_exporters_download(
    client, certificate
):
    name = certificate.pdf.name
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(b"%PDF-1.7 a different file")) == name
    client.raise_request_exception = True

    with pytest.raises(StoredFileCorruptedError):
        client.get(f"/verify/pdf/{NUMBER}?code={CODE}")
    client.raise_request_exception = False
    response = client.get(f"/verify/pdf/{NUMBER}?code={CODE}")
    assert response.status_code == 500
    assert b"a different file" not in response.content


def test_the_pdf_download_needs_the_right_code(client, certificate):
    response = client.get(f"/verify/pdf/{NUMBER}?code=WRONGCODE123")
    assert response.status_code == 404
    assert response.content == b"No certificate matches this number and code."


def test_the_root_certificate_can_be_downloaded(client, settings, tmp_path):
    from certificates import keys

    settings.SIGNING_KEYS_DIR = tmp_path
    keys.clear_caches()
    keys.ensure_development_ca()
    try:
        response = client.get(reverse("verification:ca-certificate"))
    finally:
        keys.clear_caches()
    assert response.status_code == 200
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert response["Content-Disposition"] == 'attachment; filename="coo-portal-ca.pem"'


def test_pages_are_public_and_not_cached(client, certificate):
    response = client.get(qr_url(NUMBER, CODE))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "number", ["EIC/2026/MUM/0000123", "A B/ü?#%&=+", "//x", "EIC/2026/MUM/0000123/"]
)
def test_the_answers_links_are_reversed_as_django_reverses_them(number):
    from django.urls import reverse

    from verification.answers import _path

    for name in (
        "verification:verify-certificate",
        "verification:pdf",
        "verification:credential-download",
    ):
        expected = reverse(name, kwargs={"number": number}) + "?code=K7"
        assert _path(name, number, "K7") == expected
