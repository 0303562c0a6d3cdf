"""Health checks that answer wherever the process runs, whatever DEBUG says.

A container's health check, a load balancer's probe and the cluster script call
`http://127.0.0.1:8000/healthz`: plain http, and a Host that is not one of ALLOWED_HOSTS. With
DEBUG=0 SecurityMiddleware would redirect that to https and host validation would answer 400,
so a healthy node would look dead. This middleware comes first and answers the two health paths
itself, before either runs. It serves nothing else: every other path meets the SSL redirect and
host validation as before. The answers say only "ok", "ready" or which dependency is down.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import views

HEALTH_VIEWS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = HEALTH_VIEWS.get(request.path_info)
        if view is None or request.method != "GET":
            # Anything but a probe takes the ordinary way (CSRF refuses a POST, and so on).
            return self.get_response(request)
        response = view(request)
        response["Cache-Control"] = "no-store"
        return response
