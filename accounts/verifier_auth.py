"""Verifier sign-in (customs authorities' and banks' people): the officers' two steps, at their
own door. Username, password and CAPTCHA (accounts.lockout's limits and lockout), then the TOTP
code from an authenticator app; on the first sign-in, setting the app up (accounts.officer_enrol).

Only accounts whose role is the verifier's pass here, and no verifier passes the officers' door
(officer_auth.may_sign_in_here): each persona's pages keep their own checks. Platform staff make
the accounts (admin: verifier organisations and their people).
"""

from __future__ import annotations

import base64
import logging

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.clientip import client_ip

from . import forms
from .models import User
from .officer_auth import (
    CODE_TRIES,
    SIGN_IN_FAILED,
    TOO_MANY_TRIES,
    WRONG_CODE,
    _code_accepted,
    _pending,
    password_step,
)
from .officer_enrol import enrolling_user
from .views import _next_url

logger = logging.getLogger("accounts.security")

PENDING_KEY = "accounts:verifier_pending"
HOME = "verification:verifier-home"


def may_sign_in_as_verifier(user: User | None) -> bool:
    return bool(user and user.is_active and user.role == User.Role.VERIFIER and not user.is_staff)


@login_not_required
@require_http_methods(["GET", "POST"])
def verifier_login(request: HttpRequest) -> HttpResponse:
    """The password step: like the officers', its answer never says whether the password was
    right; the code step refuses every attempt alike unless both were."""
    return password_step(
        request,
        template="accounts/verifier_login.html",
        may_sign_in=may_sign_in_as_verifier,
        pending_key=PENDING_KEY,
        code_step="accounts:verifier-otp",
        home=HOME,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def verifier_verify(request: HttpRequest) -> HttpResponse:
    state = _pending(request, PENDING_KEY)
    if state is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("accounts:verifier-login")
    if enrolling_user(state) is not None:  # the first sign-in: set up the app
        return redirect(f"{reverse('accounts:verifier-enrol')}?{request.GET.urlencode()}")
    form = forms.TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted = _code_accepted(state, form.cleaned_data["code"].strip(), may_sign_in_as_verifier)
        tries = state.get("tries", 0)
        if accepted is not None and tries < CODE_TRIES:
            user, device = accepted
            del request.session[PENDING_KEY]
            login(request, user, backend=state["backend"])
            otp_login(request, device)
            return redirect(_next_url(request, HOME))
        state["tries"] = tries + 1
        request.session[PENDING_KEY] = state
        if state["tries"] >= CODE_TRIES:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, TOO_MANY_TRIES)
            return redirect("accounts:verifier-login")
        logger.warning("verifier sign-in refused at the code step from %s", client_ip(request))
        form.add_error("code", SIGN_IN_FAILED)
    return render(
        request,
        "accounts/verifier_verify.html",
        {"form": form, "next": request.GET.get("next", "")},
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def verifier_enrol(request: HttpRequest) -> HttpResponse:
    state = _pending(request, PENDING_KEY)
    user = enrolling_user(state)
    if state is None or user is None or not may_sign_in_as_verifier(user):
        return redirect("accounts:verifier-login")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = forms.TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            del request.session[PENDING_KEY]
            login(request, user, backend=state["backend"])
            otp_login(request, device)
            return redirect(_next_url(request, HOME))
        form.add_error("code", WRONG_CODE)
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR code")
    context = {
        "form": form,
        "qr": mark_safe(qr),  # noqa: S308 - segno's own SVG of our otpauth URI
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": request.GET.get("next", ""),
        "start_again": "accounts:verifier-login",
    }
    return render(request, "accounts/officer_enrol.html", context)
