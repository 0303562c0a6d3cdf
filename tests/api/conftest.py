"""Fixtures for the filing API: tokens for the personas, an agent filing for Alice's firm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone

from accounts.api_tokens import api_token_create
from accounts.models import FirmMember
from tests.accounts.agent_factories import kiran_logistics
from tests.applications.conftest import (  # noqa: F401 - fixtures re-exported
    aifta,
    fees,
    hs_codes,
    reference_data,
    tiny_pdf,
)


class ApiClient:
    """The Django test client with a bearer token and JSON bodies."""

    def __init__(self, raw: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, path: str, **params):
        return self.client.get("/api/v1" + path, params, headers=self.headers)

    def post(self, path: str, body=None, *, key: str = "", **extra):
        headers = dict(self.headers, **({"Idempotency-Key": key} if key else {}))
        if extra.get("files") is not None:
            return self.client.post("/api/v1" + path, extra["files"], headers=headers)
        return self.client.post(
            "/api/v1" + path, body or {}, content_type="application/json", headers=headers
        )

    def patch(self, path: str, body):
        return self.client.patch(
            "/api/v1" + path, body, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str):
        return self.client.delete("/api/v1" + path, headers=self.headers)


def upload(api: ApiClient, reference: str, kind: str, data: bytes | None = None) -> dict:
    """Upload a document and let its check run (the worker's task, run at the commit), then
    poll the check as a client does; the check's last answer."""
    file = SimpleUploadedFile(f"{kind}.pdf", tiny_pdf() if data is None else data)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = api.post(
            f"/applications/{reference}/documents", files={"kind": kind, "file": file}
        )
    assert answer.status_code == 202, answer.json()
    polled = api.client.get(answer.json()["status_url"], headers=api.headers)
    assert polled.status_code == 200, polled.json()
    return polled.json()


def token_for(user, scopes=("read", "draft", "submit")) -> str:
    _, raw = api_token_create(user=user, name="test", scopes=list(scopes), days=30)
    return raw


@pytest.fixture
def kiran(alice):
    """Kiran of Kiran Logistics, authorised by Alice's firm now."""
    firm = FirmMember.objects.get(user=alice).firm
    return kiran_logistics(firm, alice).user


@pytest.fixture
def kiran_api(kiran) -> ApiClient:
    return ApiClient(token_for(kiran))


@pytest.fixture
def alice_api(alice) -> ApiClient:
    return ApiClient(token_for(alice))


def new_application(iec: str, **extra) -> dict:
    """A complete non-preferential application to the USA with EIC Mumbai."""
    return {
        "iec": iec,
        "certificate_type": "non_preferential",
        "destination_country": "US",
        "office": "EIC/MUM",
        "client_reference": "JOB-4711",
        "purchase_order_number": "PO-99",
        "parties": {
            "consignee_name": "Acme Imports Inc",
            "consignee_address": "1 Harbor Way, Newark NJ",
            "consignee_country": "US",
        },
        "transport": {
            "transport_mode": "sea",
            "vessel_or_flight": "MV Ganga",
            "port_of_loading": "Nhava Sheva",
            "port_of_discharge": "Newark",
            "departure_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
        },
        "declaration": {
            "declaration_name": "Kiran Rao",
            "declaration_designation": "Customs broker",
            "declaration_place": "Mumbai",
            "declaration_date": timezone.localdate().isoformat(),
            "declaration_accepted": True,
        },
        "invoices": [
            {"number": "INV-2026-001", "date": timezone.localdate().isoformat(), "currency": "USD"}
        ],
        "goods": [
            {
                "package_count": 10,
                "package_kind": "cartons",
                "description": "Cotton T-shirts",
                "hs_code": "61091000",
                "quantity": "500",
                "unit": "pcs",
                "gross_weight_kg": "120.5",
                "fob_value": "2500.00",
                "fob_currency": "USD",
            }
        ],
        **extra,
    }


def sign_declaration(api: ApiClient, reference: str, user) -> None:
    """Sign the draft's declaration through the API, with the code the SMS carries (read
    from the code's device: the SMS goes out only after commit)."""
    from accounts.models import SMSDevice

    assert api.post(f"/applications/{reference}/declaration/code").status_code == 202
    code = SMSDevice.objects.get(user=user, purpose="declaration").token
    answer = api.post(f"/applications/{reference}/declaration/signature", {"code": code})
    assert answer.status_code == 200, answer.json()
