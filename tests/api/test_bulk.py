"""Bulk filing: a workbook's valid rows become drafts, each bad row a message."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import FirmMember
from api.bulk import HEADER_COLUMNS
from api.models import BulkFiling
from applications.models import Application
from tests.applications.conftest import signed_in

pytestmark = pytest.mark.django_db


def _row(iec: str, n: int) -> dict:
    today = timezone.localdate()
    return {
        "iec": iec,
        "certificate_type": "non_preferential",
        "destination_country": "US",
        "office": "EIC/MUM",
        "client_reference": f"JOB-{n}",
        "consignee_name": "Acme Imports Inc",
        "consignee_address": "1 Harbor Way, Newark NJ",
        "consignee_country": "US",
        "transport_mode": "sea",
        "vessel_or_flight": "MV Ganga",
        "port_of_loading": "Nhava Sheva",
        "port_of_discharge": "Newark",
        "departure_date": today + timedelta(days=10),
        "invoice_number": f"INV-{n}",
        "invoice_date": today,
        "package_count": 10,
        "package_kind": "cartons",
        "description": "Cotton T-shirts",
        "hs_code": "61091000",
        "quantity": 500,
        "unit": "pcs",
        "gross_weight_kg": 120.5,
        "fob_value": 2500,
        "fob_currency": "USD",
    }


def workbook(rows: list[dict]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(HEADER_COLUMNS))
    for row in rows:
        sheet.append([row.get(c) for c in HEADER_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_200_row_workbook_with_3_bad_rows_makes_197_drafts_and_3_messages(
    alice, reference_data, django_capture_on_commit_callbacks
):
    iec = FirmMember.objects.get(user=alice).firm.iec
    rows = [_row(iec, n) for n in range(200)]
    rows[10]["hs_code"] = "99999999"  # row 12 of the sheet: not an HS chapter
    rows[50]["office"] = "NOPE/XX"  # row 52: no such office
    rows[120]["iec"] = "9999999999"  # row 122: a firm that is not Alice's
    client = signed_in(alice)
    upload = SimpleUploadedFile("drafts.xlsx", workbook(rows))
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/api-access/bulk/", {"file": upload})
    filing = BulkFiling.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/api-access/bulk/{filing.pk}/"
    assert filing.done == 200
    assert filing.finished_at is not None
    assert Application.objects.filter(firm__iec=iec, status="draft").count() == 197
    assert len(filing.references) == 197
    assert [m["row"] for m in filing.messages] == [12, 52, 122]
    assert "98 and 99 are national" in filing.messages[0]["message"]
    assert filing.messages[1]["message"].startswith("office:")
    assert "authorises you" in filing.messages[2]["message"]
    page = client.get(answer["Location"]).content.decode()
    assert "200 of 200 rows handled: finished" in page
    assert "197 drafts made, 3 rows with problems" in page
    assert Application.objects.get(client_reference="JOB-0").items.count() == 1


def test_a_file_that_is_not_a_spreadsheet_is_refused_whole(alice, reference_data):
    client = signed_in(alice)
    answer = client.post("/api-access/bulk/", {"file": SimpleUploadedFile("x.pdf", b"%PDF-")})
    assert answer.status_code == 200
    assert "Upload a .csv or .xlsx file." in answer.content.decode()
    assert not BulkFiling.objects.exists()


def test_another_persons_progress_page_is_404(alice, bob, reference_data):
    filing = BulkFiling.objects.create(created_by=alice, file_name="a.csv", rows=[])
    assert signed_in(bob).get(f"/api-access/bulk/{filing.pk}/").status_code == 404
    assert signed_in(alice).get(f"/api-access/bulk/{filing.pk}/").status_code == 200
