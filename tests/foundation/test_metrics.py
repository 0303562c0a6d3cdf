"""Issue 27: Prometheus metrics at /metrics, for configured networks or a token only."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from prometheus_client.parser import text_string_to_metric_families

from coo_portal import metrics
from core.durable.models import OutboxMessage


def samples(response) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.mark.django_db
def test_metrics_are_refused_to_an_outside_address_and_answered_to_a_configured_network(
    client, settings
):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    response = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")


@pytest.mark.django_db
def test_metrics_are_answered_with_the_token_and_refused_with_another(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "s3cret-metrics-token"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert ok.status_code == 200


@pytest.mark.django_db
def test_request_latency_lookups_and_refusals_are_counted_by_route(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    before = samples(client.get("/metrics"))
    client.get("/verify/")
    client.get("/verify/EIC/2026/MUM/0000001/")
    after = samples(client.get("/metrics"))
    route = "verify/"
    assert value(after, "coo_request_seconds_count", route=route, method="GET") == (
        value(before, "coo_request_seconds_count", route=route, method="GET") + 1
    )
    assert value(after, "coo_lookups_total", route="verify/<path:number>/") == (
        value(before, "coo_lookups_total", route="verify/<path:number>/") + 1
    )
    # The route, never the path: no certificate number is a label (a sample's value, after
    # its last space, may well hold "0000001": 0.00037032000000181).
    exposition = client.get("/metrics").content.decode().splitlines()
    labels = [line.rsplit(" ", 1)[0] for line in exposition if not line.startswith("#")]
    assert labels
    assert not [line for line in labels if "0000001" in line]


@pytest.mark.django_db
def test_a_rate_limited_answer_is_counted(client, settings, rf):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    before = value(samples(client.get("/metrics")), "coo_rate_limited_total", route="verify/")
    middleware = metrics.RequestMetricsMiddleware(lambda request: HttpResponse(status=429))
    middleware(rf.get("/verify/"))
    after = value(samples(client.get("/metrics")), "coo_rate_limited_total", route="verify/")
    assert after == before + 1


@pytest.mark.django_db
def test_outbox_backlog_and_payments_by_state_are_read_at_scrape(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    OutboxMessage.objects.create(task="accounts.send_email", args=[])
    found = samples(client.get("/metrics"))
    assert value(found, "coo_outbox_backlog") == 1
    assert value(found, "coo_outbox_oldest_seconds") >= 0
    assert value(found, "coo_payments", state="captured") == 0
    assert ("coo_payments", (("state", "unapplied"),)) in found
