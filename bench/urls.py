"""The portal's URLs plus a reference page for bench/verify_load.py (bench.settings only).

/bench/one-query/?number=<number> is what issue 17 compares a first lookup with: a page with
the site layout (base.html, as the verification page has) that runs one query, the
certificate's status by its number (the same unique index a lookup reads), through the same
middleware. It is resolved first, as the verification routes are in coo_portal/urls.py.

/bench/trivial/ is the ceiling: a view that answers "ok" through the whole middleware stack
(sessions, CSRF, security headers, the login requirement), no database and no template. The
portal's own /healthz is no ceiling any more: HealthCheckMiddleware answers it before any other
middleware runs (coo_portal/health.py), so it skips the work every page pays.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.views.decorators.http import require_GET

from certificates.models import Certificate
from coo_portal.urls import urlpatterns as portal_urlpatterns

_PAGE = engines["django"].from_string(
    '{% extends "base.html" %}{% block title %}Certificate {{ number }}{% endblock %}'
    "{% block content %}<h1>Certificate {{ number }}</h1><p>Status: {{ status }}</p>"
    "{% endblock %}"
)


@login_not_required
@require_GET
def one_query_page(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("number", "")
    status = (
        Certificate.objects.filter(number=number).values_list("status", flat=True).first() or ""
    )
    return HttpResponse(_PAGE.render({"number": number, "status": status}, request))


@login_not_required
@require_GET
def trivial_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial_view, name="bench-trivial"),
    path("bench/one-query/", one_query_page, name="bench-one-query"),
    *portal_urlpatterns,
]
