from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

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
    """Ready to serve: the database answers and, when configured, Redis does too."""
    problems = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        logger.warning("readyz: database unreachable: %s", exc)
        problems.append("database unreachable")
    if settings.REDIS_URL:
        try:
            cache.set("readyz", "1", timeout=5)
            if cache.get("readyz") != "1":
                problems.append("redis did not return what was stored")
        except Exception as exc:
            logger.warning("readyz: redis unreachable: %s", exc)
            problems.append("redis unreachable")
    if problems:
        return HttpResponse(
            "not ready: " + "; ".join(problems) + "\n", status=503, content_type="text/plain"
        )
    return HttpResponse("ready\n", content_type="text/plain")


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
