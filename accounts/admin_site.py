"""The admin site: django-otp's (every admin page needs the second factor), signing in through
the officer sign-in (CAPTCHA, the per-account and per-address limits, the TOTP step and its
uniform answers) instead of a login form of its own."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, URLResolver, reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite


class PortalAdminSite(OTPAdminSite):  # type: ignore[misc]  # django-otp ships no types
    # Installed as Django's default site (accounts.apps.PortalAdminConfig), so under the stock
    # name: reverse("admin:...") and every ModelAdmin registered on admin.site keep working.
    name = "admin"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def get_urls(self) -> list[URLPattern | URLResolver]:
        """Every admin page checks staff and the second factor itself (admin_view's
        has_permission) and sends whoever fails to self.login. LoginRequiredMiddleware would
        send them to the exporters' sign-in first, so the admin's pages are exempt from it."""
        patterns: list[URLPattern | URLResolver] = super().get_urls()
        _exempt_from_login_required(patterns)
        return patterns

    @method_decorator(never_cache)
    @method_decorator(login_not_required)
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """No password is ever checked here, whatever is posted: off to the officer sign-in."""
        index = reverse("admin:index", current_app=self.name)
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(index)
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = index
        query = urlencode({"next": target})
        return HttpResponseRedirect(f"{reverse('accounts:officer-login')}?{query}")


def _exempt_from_login_required(patterns: list[URLPattern | URLResolver]) -> None:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _exempt_from_login_required(pattern.url_patterns)
        elif getattr(pattern.callback, "login_required", True):
            pattern.callback.login_required = False  # type: ignore[attr-defined]  # the flag LoginRequiredMiddleware reads
