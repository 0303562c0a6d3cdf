"""The interface language (issue 33): English or Hindi, chosen with the switcher in the header.

A signed-in person's choice is kept on their account (User.language) and applies on every
device they sign in from; a visitor's is kept in a cookie (LANGUAGE_COOKIE_NAME). A visitor
who chose Hindi before signing in for the first time keeps it: the choice moves to the
account at sign-in. The browser's Accept-Language is not read: a kept verification answer is
served to visitors without cookies in English (verification/edge.py), and every other page
must agree with it; the switcher is on every page instead.

Certificates, credentials and tax documents are English whatever was chosen (the agreements'
language): they are rendered under translation.override(settings.LANGUAGE_CODE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from .models import User

# What `make messages` and the catalogue's test leave out of the Hindi catalogue: the
# officers' pages (English, as the agencies work in it), emails and SMS (rendered by workers,
# in English for now), the admin, development pages, tests and benches.
CATALOGUE_IGNORE = (
    ".venv",
    "var",
    "tests",
    "bench",
    "deploy",
    "docs",
    "review",
    "templates/officer",
    "templates/emails",
    "templates/sms",
    "templates/admin",
    "templates/dev",
)


ADMIN_PREFIX = "/admin/"


def supported(code: str | None) -> str | None:
    """The code if the portal speaks it, else None."""
    return code if code and code in dict(settings.LANGUAGES) else None


def chosen_language(request: HttpRequest) -> str:
    """The signed-in person's language, else the visitor's cookie, else the default."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        mine = supported(getattr(user, "language", ""))
        if mine:
            return mine
    return supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or settings.LANGUAGE_CODE


def _set_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite="Lax",
    )


class LanguageMiddleware:
    """Activate the chosen language for the request (after AuthenticationMiddleware, so that
    the account's choice wins). A signed-in person whose browser remembers another language
    (a new device, a shared computer) gets the cookie set to theirs, so the pages after they
    sign out stay in it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The admin (agency administrators and operators) is English, as the officers' pages.
        admin = request.path_info.startswith(ADMIN_PREFIX)
        language = settings.LANGUAGE_CODE if admin else chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # as LocaleMiddleware does
        try:
            response = self.get_response(request)
        finally:
            translation.deactivate()
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            mine = supported(getattr(user, "language", ""))
            if mine and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != mine:
                _set_cookie(response, mine)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            patch_vary_headers(response, ("Cookie",))
        return response


@login_not_required
@require_http_methods(["GET", "POST"])
def choose_language(request: HttpRequest) -> HttpResponse:
    """The header's switcher. POST: Django's set_language (the cookie, the safe `next`), and
    the choice kept on the account of a signed-in person. GET (the link a first-time visitor
    without cookies is shown): a page with the same form, back to `next` or the page before."""
    if request.method == "GET":
        next_url = request.GET.get("next") or request.META.get("HTTP_REFERER", "")
        allowed = {request.get_host()}
        if not url_has_allowed_host_and_scheme(next_url, allowed, request.is_secure()):
            next_url = "/"
        return render(request, "language.html", {"next": next_url})
    response = set_language(request)
    language = supported(request.POST.get("language"))
    user = request.user
    if language and user.is_authenticated and getattr(user, "language", "") != language:
        User.objects.filter(pk=user.pk).update(language=language)
    return response


def adopt_at_sign_in(request: HttpRequest | None, user: User) -> None:
    """At sign-in: an account with no choice yet takes the one the visitor made before."""
    if request is None or user.language:
        return
    language = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if language:
        user.language = language
        User.objects.filter(pk=user.pk).update(language=language)


def on_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    adopt_at_sign_in(request, user)
