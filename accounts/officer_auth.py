"""Officer sign-in: username, password and CAPTCHA, then the TOTP code.

The password step does not sign anyone in: it notes the user in the session for five minutes.
Only the TOTP step calls login() and django_otp.login(), so no officer page
(`officer_required`) is reachable with the password alone.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

from django.contrib.auth import authenticate, login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import forms
from .lockout import client_ip, ip_failure_add, ip_is_blocked, lockout_response
from .models import User
from .views import IP_BLOCKED, _next_url

logger = logging.getLogger("accounts.security")

PENDING_KEY = "accounts:officer_pending"
PENDING_SECONDS = 5 * 60
SIGN_IN_FAILED = "The username or password is not right."


@login_not_required
@require_http_methods(["GET", "POST"])
def officer_login(request: HttpRequest) -> HttpResponse:
    form = forms.OfficerLoginForm(request.POST or None)
    if request.method == "POST" and ip_is_blocked(request):
        form.is_valid()
        form.add_error(None, IP_BLOCKED)
        return render(request, "accounts/officer_login.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request, None, {"username": username})
        if user is not None and user.is_officer and user.is_active:
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "uid": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
            }
            query = urlencode({"next": _next_url(request, "officer:queue")})
            return redirect(f"{reverse('accounts:officer-otp')}?{query}")
        if user is None:
            ip_failure_add(request)
            logger.warning("officer sign-in failed for %s from %s", username, client_ip(request))
        form.add_error(None, SIGN_IN_FAILED)
    return render(
        request, "accounts/officer_login.html", {"form": form, "next": request.GET.get("next", "")}
    )


def _pending_officer(request: HttpRequest) -> tuple[User, str] | None:
    state = request.session.get(PENDING_KEY) or {}
    if not state or time.time() - state.get("at", 0) > PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=state["uid"], is_active=True).first()
    if user is None or not user.is_officer:
        return None
    return user, state["backend"]


@login_not_required
@require_http_methods(["GET", "POST"])
def officer_verify(request: HttpRequest) -> HttpResponse:
    pending = _pending_officer(request)
    if pending is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("accounts:officer-login")
    user, backend = pending
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    form = forms.TOTPForm(request.POST or None)
    if device is None:
        return render(request, "accounts/officer_no_device.html", status=403)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("code", "Too many wrong codes. Wait a minute, then try the newest code.")
        elif device.verify_token(form.cleaned_data["code"].strip()):
            del request.session[PENDING_KEY]
            login(request, user, backend=backend)
            otp_login(request, device)
            return redirect(_next_url(request, "officer:queue"))
        else:
            logger.warning(
                "officer second factor failed for %s from %s", user.username, client_ip(request)
            )
            form.add_error("code", "The code is not right. Enter the code your app shows now.")
    return render(
        request, "accounts/officer_verify.html", {"form": form, "next": request.GET.get("next", "")}
    )
