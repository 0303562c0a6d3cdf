"""Tell people when their session ran out, instead of silently showing the sign-in page.

While someone is signed in, a marker cookie (no secret in it) rides along. A request that
carries the marker but no signed-in user means the session ended without a sign-out: after
SESSION_COOKIE_AGE of inactivity, or because the password was reset elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse

MARKER = "coo_signed_in"
EXPIRED_MESSAGE = (
    "Your session expired after 30 minutes without activity. Sign in again to continue."
)


def forget_signed_in(response: HttpResponse) -> None:
    response.delete_cookie(MARKER, samesite="Lax")


class SessionExpiryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        had_marker = request.COOKIES.get(MARKER) == "1"
        expired = had_marker and not request.user.is_authenticated
        if expired:
            messages.warning(request, EXPIRED_MESSAGE)
        response = self.get_response(request)
        if request.user.is_authenticated:
            if not had_marker:
                response.set_cookie(
                    MARKER,
                    "1",
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        elif had_marker:
            forget_signed_in(response)
        return response
