"""Prometheus metrics at /metrics, answered to configured networks or a bearer token only.

What is measured:
- `coo_request_seconds{route,method}`: every request's latency by URL pattern (the route, never
  the path, so numbers and codes stay out); `coo_responses_total{route,status}` beside it.
- `coo_lookups_total{route}` and `coo_rate_limited_total{route}`: public verification lookups,
  and requests refused with 429.
- `coo_issuance_seconds{agency}` and `coo_issuance_failures_total{agency,final}`: each run of
  the issuance task, from Celery's signals (this package is the top layer: certificates does
  not know it is measured).
- At each scrape, from the database and Redis: `coo_outbox_backlog`,
  `coo_outbox_oldest_seconds`, `coo_queue_depth{queue}`, `coo_payments{state}`.

Under gunicorn every process counts for itself into files in PROMETHEUS_MULTIPROC_DIR
(prometheus-client's multiprocess mode, gunicorn.conf.py marks dead workers), and the process
that answers a scrape adds them up.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from applications.models import Application, Payment
from core.clientip import client_ip
from core.durable.models import OutboxMessage

from . import heartbeat

PATH = "/metrics"
ISSUE_TASK = "certificates.issue_certificate"

REQUEST_SECONDS = Histogram("coo_request_seconds", "Request latency by route", ["route", "method"])
RESPONSES = Counter("coo_responses_total", "Responses by route and status", ["route", "status"])
LOOKUPS = Counter("coo_lookups_total", "Public verification requests", ["route"])
RATE_LIMITED = Counter("coo_rate_limited_total", "Requests refused with 429", ["route"])
ISSUANCE_SECONDS = Histogram(
    "coo_issuance_seconds",
    "Runs of the issuance task by agency",
    ["agency"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120),
)
ISSUANCE_FAILURES = Counter(
    "coo_issuance_failures_total",
    "Issuance runs that ended without a certificate (final: no retry follows)",
    ["agency", "final"],
)


def _route(request: HttpRequest) -> tuple[str, str]:
    """The URL pattern and its namespace; "unmatched" for a path the URLconf does not know."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "unmatched", ""
    return match.route or match.view_name, match.namespace


class RequestMetricsMiddleware:
    """Times every request; answers /metrics itself (like /healthz, to a scraper that reaches the
    node by its address, before host validation and the https redirect)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH:
            return metrics_view(request)
        started = time.perf_counter()
        response = self.get_response(request)
        route, namespace = _route(request)
        REQUEST_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
        RESPONSES.labels(route, str(response.status_code)).inc()
        if namespace == "verification":
            LOOKUPS.labels(route).inc()
        if response.status_code == 429:
            RATE_LIMITED.labels(route).inc()
        return response


def allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method != "GET" or not allowed(request):
        # Nothing says that metrics exist here.
        return HttpResponse("Not Found\n", status=404, content_type="text/plain")
    if settings.PROMETHEUS_MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]  # untyped in prometheus-client
            registry, path=settings.PROMETHEUS_MULTIPROC_DIR
        )
    else:
        registry = CollectorRegistry()
        registry.register(_Everything())
    registry.register(StateCollector())
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class _Everything(Collector):
    """This process's own metrics (the default registry), beside the state read at scrape."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


class StateCollector(Collector):
    """What the database and Redis hold now, read when scraped."""

    def collect(self) -> Iterator[Any]:
        waiting = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
            count=Count("id"), oldest=Min("created_at")
        )
        yield GaugeMetricFamily(
            "coo_outbox_backlog", "Outbox messages not yet published", value=waiting["count"]
        )
        age = (timezone.now() - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0
        yield GaugeMetricFamily(
            "coo_outbox_oldest_seconds", "Age of the oldest unpublished outbox message", value=age
        )
        payments = GaugeMetricFamily("coo_payments", "Payments by state", labels=["state"])
        counts = dict(Payment.objects.values_list("state").annotate(n=Count("id")))
        for state in Payment.State.values:
            payments.add_metric([state], counts.get(state, 0))
        yield payments
        if settings.REDIS_URL:
            queue = settings.CELERY_TASK_DEFAULT_QUEUE
            depth = GaugeMetricFamily(
                "coo_queue_depth", "Tasks waiting in the broker's queue", labels=["queue"]
            )
            try:
                depth.add_metric([queue], heartbeat.client().llen(queue))
            except redis.RedisError:
                depth.add_metric([queue], float("nan"))
            yield depth


# Issuance, measured around the task in the worker (by Celery's signals).
_started: dict[str, float] = {}


def _issuance_started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    if task is not None and task.name == ISSUE_TASK:
        _started[task_id] = time.perf_counter()


def _issuance_finished(
    task_id: str = "", task: Any = None, args: Any = (), retval: Any = None, **kwargs: Any
) -> None:
    started = _started.pop(task_id, None)
    if started is None or task is None:
        return
    agency = (
        Application.objects.filter(pk=args[0]).values_list("agency__code", flat=True).first()
        if args
        else None
    ) or "unknown"
    ISSUANCE_SECONDS.labels(agency).observe(time.perf_counter() - started)
    if isinstance(retval, str):
        return
    # None: refused or out of retries (final); anything else (a Retry) is tried again.
    ISSUANCE_FAILURES.labels(agency, "yes" if retval is None else "no").inc()


task_prerun.connect(_issuance_started)
task_postrun.connect(_issuance_finished)
