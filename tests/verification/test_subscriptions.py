"""Status subscriptions: a subscriber's webhook receives the revocation, signed the Standard
Webhooks way; an unsubscribed one receives nothing; email subscribers are told too."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.urls import reverse
from standardwebhooks.webhooks import Webhook

from tests.clients import verified_client
from tests.verification.helpers import look_up, revoke
from tests.verification.test_utilisation import ENTRY, verifier
from verification.models import StatusSubscription

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"
REASON = "Goods found to be of non-originating content on inspection."


class Receiver:
    """A webhook receiver on loopback: what each POST carried."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:  # no test output
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.SUBSCRIPTION_WEBHOOK_HTTP = True  # loopback, plain http: tests only
    running = Receiver()
    yield running
    running.stop()


def subscribe(client, channel: str, target: str, code: str = CODE):
    url = reverse("verification:subscribe", args=[NUMBER]) + f"?code={code}"
    return client.post(url, {"channel": channel, "target": target})


def test_a_subscribers_webhook_receives_the_revocation_signed_and_an_unsubscribed_one_nothing(
    certificate, ada, client, receiver, django_capture_on_commit_callbacks
):
    assert subscribe(client, "webhook", receiver.url("/kept")).status_code == 200
    assert subscribe(client, "webhook", receiver.url("/gone")).status_code == 200
    kept, gone = StatusSubscription.objects.order_by("pk")
    response = client.post(reverse("verification:unsubscribe", kwargs={"token": gone.token}))
    assert response.status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        revoke(certificate, REASON, actor=ada)

    assert [path for path, _, _ in receiver.received] == ["/kept"]
    _, headers, body = receiver.received[0]
    document = Webhook(kept.secret).verify(body, headers)
    assert document["type"] == "certificate.revoked"
    assert document["data"]["number"] == NUMBER
    assert document["data"]["status"] == "revoked"
    assert document["data"]["revocation_reason"] == REASON
    assert document["data"]["unsubscribe_url"].endswith(kept.token)
    # Signed with this subscription's secret, not another's.
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(gone.secret).verify(body, headers)


def test_the_subscription_page_shows_the_webhook_secret_once_and_is_not_cached(
    certificate, client, receiver
):
    response = subscribe(client, "webhook", receiver.url("/hook"))
    subscription = StatusSubscription.objects.get()
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_an_email_subscriber_is_told_of_the_subscription_and_of_the_revocation(
    certificate, ada, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert subscribe(client, "email", "origin.unit@customs.example.ae").status_code == 200
    assert mail.outbox[-1].to == ["origin.unit@customs.example.ae"]
    token = StatusSubscription.objects.get().token
    assert token in mail.outbox[-1].body
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        revoke(certificate, REASON, actor=ada)

    addressed = [m for m in mail.outbox if m.to == ["origin.unit@customs.example.ae"]]
    assert len(addressed) == 1
    assert addressed[0].subject == f"Certificate {NUMBER}: revoked"
    assert REASON in addressed[0].body
    assert token in addressed[0].body


def test_subscribing_needs_the_verification_code(certificate, client):
    assert subscribe(client, "email", "a@example.ae", code="WRONGCODE123").status_code == 404
    assert StatusSubscription.objects.count() == 0


def test_a_webhook_must_be_https_outside_tests(certificate, client, settings):
    settings.SUBSCRIPTION_WEBHOOK_HTTP = False
    response = subscribe(client, "webhook", "http://hooks.example.ae/coo")
    assert response.status_code == 400
    assert "https://" in response.content.decode()
    assert StatusSubscription.objects.count() == 0


def test_subscribing_is_rate_limited_per_client(certificate, client, settings):
    settings.SUBSCRIBE_RATE = "2/h"
    statuses = [subscribe(client, "email", f"u{n}@example.ae").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert StatusSubscription.objects.count() == 2


def test_unsubscribing_asks_first_and_needs_one_click(certificate, client):
    subscribe(client, "email", "a@example.ae")
    subscription = StatusSubscription.objects.get()
    url = reverse("verification:unsubscribe", kwargs={"token": subscription.token})
    page = client.get(url).content.decode()
    assert "Stop the messages" in page
    assert 'name="csrfmiddlewaretoken"' in page
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is None  # a mail scanner's GET changes nothing
    client.post(url)
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None
    assert (
        client.post(reverse("verification:unsubscribe", kwargs={"token": "nope"})).status_code
        == 404
    )


def test_the_answer_page_offers_the_subscription(certificate, client):
    page = look_up(client, "page", NUMBER, CODE).content.decode()
    assert reverse("verification:subscribe", args=[NUMBER]) in page


def test_a_subscriber_hears_that_the_certificate_was_used_for_an_import(
    certificate, client, receiver, django_capture_on_commit_callbacks
):
    subscribe(client, "webhook", receiver.url("/bank"))
    dubai = verifier("hamdan", org="Dubai Customs")
    url = reverse("verification:record-import", args=[NUMBER]) + f"?code={CODE}"

    with django_capture_on_commit_callbacks(execute=True):
        assert verified_client(dubai).post(url, ENTRY).status_code == 302

    _, headers, body = receiver.received[0]
    document = Webhook(StatusSubscription.objects.get().secret).verify(body, headers)
    assert document["type"] == "certificate.utilised"
    assert document["data"]["status"] == "valid"


@pytest.mark.parametrize(
    "address", ["https://127.0.0.1/hook", "https://10.0.0.7/hook", "https://[::1]/hook"]
)
def test_a_webhook_to_this_machine_or_a_private_network_is_refused(
    certificate, client, settings, address
):
    """The portal must not be made to call its own internal services (as the filing API's
    webhooks: one check, verification.webhooks.webhook_url_problem)."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = subscribe(client, "webhook", address)
    assert response.status_code == 400
    assert "private network" in response.content.decode()
    assert StatusSubscription.objects.count() == 0


def test_a_delivery_is_not_sent_to_an_address_that_turned_private(settings):
    from verification.webhooks import WebhookDeliveryError, webhook_send

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    with pytest.raises(WebhookDeliveryError, match="private network"):
        webhook_send(
            url="https://127.0.0.1/hook", secret="whsec_" + "A" * 44, msg_id="m", payload={}
        )
