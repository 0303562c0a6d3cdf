"""Kept verification answers served before most of the middleware stack (issue 17).

A QR link or API lookup whose answer is kept in Redis costs one Redis round trip
(verification/store.py); through the whole stack it paid as much again for sessions, CSRF,
authentication, OTP, messages and the rest, none of which can change the answer to a visitor
without cookies. This middleware, placed after RequestBodyLimitMiddleware and before
SecurityMiddleware, answers such a lookup itself, as HealthCheckMiddleware answers /healthz,
with the response the stack would send: the same view code builds it (views.visitor_page,
views.api_document) and the stack's own middleware add their headers (SecurityMiddleware:
HSTS, nosniff, Referrer-Policy, Cross-Origin-Opener-Policy; XFrameOptionsMiddleware; CSP;
CommonMiddleware's Content-Length; SessionMiddleware's Vary: Cookie).
tests/verification/test_edge.py compares the two answers header by header.

It answers only when all of these hold, and otherwise leaves the request to the stack as it
came:

- a GET (the views take nothing else) without a Cookie header (a visitor with cookies may be
  signed in, and is shown the layout with their name and messages) and without a body;
- the path resolves to the QR link (views.verify_certificate) or the API
  (views.api_certificate), both login_not_required, and the query string is exactly
  `code=<letters, digits, dashes>` (what a QR code carries);
- the stack would not redirect it to https (SECURE_SSL_REDIRECT over plain http), nor refuse
  its Host (request.get_host() against ALLOWED_HOSTS, CommonMiddleware's check, whose 400 the
  stack then gives) or its user agent (DISALLOWED_USER_AGENTS), nor redirect it to www;
- the answer is kept: verification_lookup_begin counted the request against the client's rate
  limit, read the kept answer and queued its log row, all in the one script the view would run.

A lookup the kept answer does not settle (a wrong code, an unknown number, a first lookup, a
rate-limited client, Redis failing) goes through the stack with the round trip's result in
`request.verification_begun`: the view finishes the same lookup from there (no second count,
no second round trip), so it is answered, refused or logged exactly as before.

The stack after this middleware is the one reviewed here (STACK_REVIEWED): if MIDDLEWARE
changes, the edge switches itself off (a warning at start-up) until someone checks that the
new middleware changes nothing for these two answers and updates the list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import DisallowedHost, MiddlewareNotUsed
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from core.clientip import client_ip

from . import services, store, views
from .answers import DOCUMENT, PAGE, Answer
from .models import VerificationLog

logger = logging.getLogger(__name__)

# What a QR code's link carries (answers._path: urlencode of an upper-case code). Anything
# else (another parameter, a repeated or percent-encoded code) is parsed by the stack's
# QueryDict, as before.
_QUERY = re.compile(r"code=([A-Za-z0-9-]{1,64})")
_PREFIXES = ("/verify/", "/api/v1/certificates/")

# The middleware after this one, as reviewed for what they add to, or change in, a kept
# answer for a visitor without cookies (tests/verification/test_edge.py checks the result).
STACK_REVIEWED = (
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Reviewed (issue 33): without cookies nor a user it activates LANGUAGE_CODE, the
    # language the kept answers are rendered in (verification/answers.py), and adds nothing.
    "accounts.language.LanguageMiddleware",
    "accounts.login_required.PortalLoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",
)

# The two views, the channel they log and the kinds of answer they show; the response a kept
# answer gets from each (the views' own functions).
_Build = Callable[[Answer], HttpResponse]
_ROUTES: dict[object, tuple[str, frozenset[str], _Build]] = {
    views.verify_certificate: (VerificationLog.Channel.QR, frozenset({PAGE}), views.visitor_page),
    views.api_certificate: (VerificationLog.Channel.API, frozenset({DOCUMENT}), views.api_document),
}


def _after_this(middleware: list[str]) -> tuple[str, ...]:
    name = f"{__name__}.VerificationEdgeMiddleware"
    return tuple(middleware[middleware.index(name) + 1 :]) if name in middleware else ()


class VerificationEdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if _after_this(list(settings.MIDDLEWARE)) != STACK_REVIEWED:
            logger.warning(
                "MIDDLEWARE differs from verification.edge.STACK_REVIEWED: kept verification "
                "answers go through the whole stack until the edge is reviewed for it"
            )
            raise MiddlewareNotUsed
        self.get_response = get_response
        # The stack's own middleware add their headers to the edge's answers (read their
        # settings once, as the stack's instances do).
        self._security = SecurityMiddleware(get_response)
        self._frame = XFrameOptionsMiddleware(get_response)
        self._csp = CSPMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self._answer(request)
        return response if response is not None else self.get_response(request)

    def _answer(self, request: HttpRequest) -> HttpResponse | None:
        meta = request.META
        path = request.path_info
        if (
            request.method != "GET"
            or not path.startswith(_PREFIXES)
            or meta.get("HTTP_COOKIE")
            or meta.get("CONTENT_LENGTH")
            or meta.get("HTTP_TRANSFER_ENCODING")
            or not store.enabled()
        ):
            return None
        query = _QUERY.fullmatch(meta.get("QUERY_STRING", ""))
        if query is None:
            return None
        try:
            match = resolve(path)
        except Resolver404:
            return None
        route = _ROUTES.get(match.func)
        if route is None or getattr(match.func, "login_required", True) is not False:
            return None
        if self._security.redirect and not request.is_secure():
            return None  # SecurityMiddleware redirects it to https
        if settings.DISALLOWED_USER_AGENTS or settings.PREPEND_WWW:
            return None  # CommonMiddleware's checks and redirect: the stack's to make
        try:
            request.get_host()
        except DisallowedHost:
            return None  # the stack answers 400, and logs it, as for any other page
        channel, kinds, build = route
        begun = services.verification_lookup_begin(
            number=match.kwargs["number"],
            code=query.group(1),
            channel=channel,
            client_address=client_ip(request),
            kinds=kinds,
        )
        if isinstance(begun, services.LookupBegun):
            request.verification_begun = begun  # type: ignore[attr-defined]  # read by the view
            return None
        response = build(begun)
        # As the stack would, innermost first: the view's Cache-Control (views._no_store),
        # CSP, X-Frame-Options, Content-Length, Vary: Cookie (the session is read by
        # SessionExpiryMiddleware), then SecurityMiddleware's headers.
        response.headers["Cache-Control"] = views.NO_STORE
        self._add_csp(channel, request, response)
        self._frame.process_response(request, response)
        response.headers["Content-Length"] = str(len(response.content))
        patch_vary_headers(response, ("Cookie",))
        return self._security.process_response(request, response)

    def _add_csp(self, channel: str, request: HttpRequest, response: HttpResponse) -> None:
        """CSPMiddleware's headers. They depend only on the settings (no nonce: a kept answer
        was rendered without one; no per-view policy: the response is built here), so those
        it added to a route's first answer are added again (building the policy was a third of
        the edge's CPU); not when a policy excludes URL prefixes (they depend on the path)."""
        kept = _CSP_HEADERS.get(channel)
        if kept is not None:
            for name, value in kept.items():
                response.headers[name] = value
            return
        before = set(response.headers)
        self._csp.process_request(request)
        self._csp.process_response(request, response)
        policies = (
            getattr(settings, "CONTENT_SECURITY_POLICY", None) or {},
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None) or {},
        )
        if not any(policy.get("EXCLUDE_URL_PREFIXES") for policy in policies):
            added = {name: value for name, value in response.headers.items() if name not in before}
            _CSP_HEADERS[channel] = added


# CSPMiddleware's headers for each route's answers, until a setting changes (tests).
_CSP_HEADERS: dict[str, dict[str, str]] = {}


@receiver(setting_changed)
def _forget_csp_headers(**kwargs: object) -> None:
    _CSP_HEADERS.clear()
