"""Webhooks: a local receiver gets the application's events, signed by Standard Webhooks,
and the certificate and its credential download through the API."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from standardwebhooks.webhooks import Webhook

from accounts.models import FirmMember, User
from api import services
from api.models import WebhookDelivery
from applications import workflow
from applications.models import Application
from certificates.models import Certificate, Credential
from certificates.selectors import certificate_pdf_bytes
from review import services as review_services
from tests.applications.conftest import tiny_pdf
from tests.applications.wallet_helpers import agents_may_pay_from_the_wallet, fund

from .conftest import new_application, sign_declaration

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eic_signing_key")]


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps what it is sent and answers `status`."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[str]:
        return [json.loads(body)["type"] for _h, body in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def _file(kiran_api, alice, run):
    kiran = User.objects.get(username="kiran")
    fund(alice, 1000)
    agents_may_pay_from_the_wallet(alice)  # off by default (issue 33)
    iec = FirmMember.objects.get(user=alice).firm.iec
    reference = run(lambda: kiran_api.post("/applications", new_application(iec))).json()[
        "reference"
    ]
    for kind in ("commercial_invoice", "packing_list"):
        upload = SimpleUploadedFile(f"{kind}.pdf", tiny_pdf(), content_type="application/pdf")
        run(
            lambda upload=upload, kind=kind: kiran_api.post(
                f"/applications/{reference}/documents", files={"kind": kind, "file": upload}
            )
        )
    run(lambda: kiran_api.post(f"/applications/{reference}/fee/wallet"))
    run(lambda: sign_declaration(kiran_api, reference, kiran))
    answer = run(lambda: kiran_api.post(f"/applications/{reference}/submit"))
    assert answer.status_code == 200, answer.json()
    return reference


def test_a_local_receiver_gets_the_issued_event_signed_and_the_papers_download(
    kiran_api, kiran, alice, olivia, reference_data, receiver, django_capture_on_commit_callbacks
):
    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    endpoint = services.webhook_endpoint_register(user=kiran, url=receiver.url, event_types=[])
    reference = _file(kiran_api, alice, run)
    application = Application.objects.get(reference=reference)
    run(lambda: workflow.application_start_review(application_id=application.pk, officer=olivia))
    run(lambda: review_services.application_approve(application_id=application.pk, officer=olivia))

    assert receiver.events() == [
        "application.submitted",
        "application.approved",
        "certificate.issued",
    ]
    for headers, body in receiver.received:
        Webhook(endpoint.secret).verify(body, headers)  # raises on a bad signature
    issued = json.loads(receiver.received[-1][1])
    assert issued["data"]["reference"] == reference
    assert issued["data"]["client_reference"] == "JOB-4711"
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}

    certificate = Certificate.objects.get(application=application)
    pdf = kiran_api.get(f"/applications/{reference}/certificate.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content == certificate_pdf_bytes(certificate)
    assert hashlib.sha256(pdf.content).hexdigest() == certificate.sha256
    jwt = kiran_api.get(f"/applications/{reference}/certificate.jwt")
    assert jwt.status_code == 200
    assert jwt.content.decode() == Credential.objects.get(certificate=certificate).jwt
    assert kiran_api.get(f"/applications/{reference}/acknowledgement.pdf").status_code == 200
    assert kiran_api.get(f"/applications/{reference}/tax-invoice.pdf").status_code == 200


def test_a_receiver_that_fails_is_retried_then_the_replay_button_sends_it_again(
    kiran_api, kiran, alice, reference_data, receiver, django_capture_on_commit_callbacks, settings
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            return call()

    services.webhook_endpoint_register(
        user=kiran, url=receiver.url, event_types=["application.submitted"]
    )
    receiver.status = 500
    _file(kiran_api, alice, run)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.last_status_code) == ("failed", 500)
    receiver.status = 200
    run(lambda: services.webhook_delivery_replay(user=kiran, delivery_id=delivery.pk))
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    first, second = (headers["webhook-id"] for headers, _b in receiver.received)
    assert first == second  # the same message id: the receiver can tell a replay


def test_an_address_on_a_private_network_is_refused_in_production(kiran, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    from api.webhooks import WebhookRefused

    with pytest.raises(WebhookRefused, match="https"):
        services.webhook_endpoint_register(user=kiran, url="http://example.com/", event_types=[])
    with pytest.raises(WebhookRefused, match="private"):
        services.webhook_endpoint_register(user=kiran, url="https://127.0.0.1/", event_types=[])


def test_private_webhook_addresses_are_refused_by_a_check_in_production(settings):
    from api.checks import webhook_addresses_check

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.DEBUG, settings.TESTING = False, False
    assert [e.id for e in webhook_addresses_check()] == ["api.E001"]
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    assert webhook_addresses_check() == []
