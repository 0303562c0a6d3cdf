from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import readiness
from .outbox import read_outbox

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is alive. Touches nothing else."""
    return HttpResponse("ok\n", content_type="text/plain")


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: every part this installation uses answers (coo_portal/readiness.py).
    503 names the failing parts; nothing secret is said."""
    checks = readiness.report()
    failing = sorted(name for name, answer in checks.items() if answer != readiness.OK)
    body = {"status": "not ready" if failing else "ready", "failing": failing, "checks": checks}
    response = JsonResponse(body, status=503 if failing else 200)
    # Each failing part was logged at WARNING by readiness; Django's "Service Unavailable"
    # ERROR line on every probe would only repeat it.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


@login_not_required
@require_GET
def dev_outbox(request: HttpRequest) -> HttpResponse:
    """DEBUG only: the emails and SMS the file backends wrote, so registration can be finished
    locally without a mail server or an SMS gateway."""
    if not settings.DEBUG:
        raise Http404
    return render(request, "dev/outbox.html", {"messages_out": read_outbox()})


@login_not_required
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "errors/csrf.html", status=403)


@login_not_required
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/400.html", status=400)
