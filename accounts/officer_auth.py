"""Officer sign-in: username, password and CAPTCHA, then the TOTP code. /admin/ signs in here
too (accounts.admin_site).

The password step does not sign anyone in: it notes the user in the session for five minutes
(or notes nobody, when the password was wrong: the code step answers the same either way).
Only the TOTP step calls login() and django_otp.login(), so no officer page
(`officer_required`) is reachable with the password alone.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.clientip import client_ip

from . import forms
from .lockout import device_remember, lockout_response, password_check
from .models import User
from .officer_enrol import enrolling_user
from .officers import officer_enrolment_complete
from .views import IP_BLOCKED, _next_url

logger = logging.getLogger("accounts.security")

PENDING_KEY = "accounts:officer_pending"
PENDING_SECONDS = 5 * 60
CODE_TRIES = 5
SIGN_IN_FAILED = (
    "The username, password or code is not right. Enter the code your app shows now, or start "
    "again. No authenticator app set up? Ask your agency administrator."
)
TOO_MANY_TRIES = "Too many wrong codes. Start again with your username and password."


def may_sign_in_here(user: User | None) -> bool:
    """Officers and agency administrators, and platform staff on their way to /admin/."""
    return bool(user and user.is_active and (user.is_officer or user.is_staff))


@login_not_required
@require_http_methods(["GET", "POST"])
def officer_login(request: HttpRequest) -> HttpResponse:
    """The password step. Its answer never says whether the password was right: every
    attempt that passes the CAPTCHA and the limits goes on to the code step, which refuses
    them all alike unless both the password and the code were right."""
    return password_step(
        request,
        template="accounts/officer_login.html",
        may_sign_in=may_sign_in_here,
        pending_key=PENDING_KEY,
        code_step="accounts:officer-otp",
        home="officer:queue",
    )


def password_step(
    request: HttpRequest,
    *,
    template: str,
    may_sign_in: Callable[[User | None], bool],
    pending_key: str,
    code_step: str,
    home: str,
) -> HttpResponse:
    """The password step of a sign-in with an authenticator code (officers', verifiers'): every
    attempt that passes the CAPTCHA and the limits goes on to the code step, remembered under
    `pending_key` (the user only if the password was right and `may_sign_in` says yes)."""
    form = forms.OfficerLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"].strip()
        attempt = password_check(request, username=username, password=form.cleaned_data["password"])
        if attempt.address_blocked:
            form.add_error(None, IP_BLOCKED)
            return render(request, template, {"form": form}, status=429)
        if attempt.locked:
            return lockout_response(request, None, {"username": username})
        user = attempt.user if may_sign_in(attempt.user) else None
        request.session.cycle_key()
        request.session[pending_key] = {
            "uid": user.pk if user else None,
            "backend": getattr(user, "backend", ""),
            "at": int(time.time()),
            "tries": 0,
        }
        query = urlencode({"next": _next_url(request, home)})
        return redirect(f"{reverse(code_step)}?{query}")
    return render(request, template, {"form": form, "next": request.GET.get("next", "")})


def _pending(request: HttpRequest, key: str = PENDING_KEY) -> dict[str, Any] | None:
    state = request.session.get(key)
    if not isinstance(state, dict) or time.time() - state.get("at", 0) > PENDING_SECONDS:
        return None
    return state


def _code_accepted(
    state: dict[str, Any], code: str, may: Callable[[User | None], bool] = may_sign_in_here
) -> tuple[User, TOTPDevice] | None:
    """The user and device if the password step was right and `code` is their TOTP now."""
    user = User.objects.filter(pk=state["uid"]).first() if state.get("uid") else None
    if user is None or not may(user):
        return None
    device = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    if device is None:
        logger.warning("officer %s has no authenticator device", user.username)
        return None
    if _device_allows(device) and bool(device.verify_token(code)):
        return user, device
    logger.warning("officer second factor failed for %s", user.username)
    return None


def _device_allows(device: TOTPDevice) -> bool:
    """django-otp's own back-off (1 s, 2 s, 4 s... after each wrong code) would refuse the right
    code typed straight after a typo, so it is off (OTP_TOTP_THROTTLE_FACTOR = 0) and this one
    starts only after CODE_TRIES failures in a row on the device, across sign-ins."""
    failures = device.throttling_failure_count
    if failures < CODE_TRIES or device.throttling_failure_timestamp is None:
        return True
    waited = (timezone.now() - device.throttling_failure_timestamp).total_seconds()
    return bool(waited >= 2 ** min(failures - CODE_TRIES, 16))


@dataclass(frozen=True)
class CodeDoor:
    """A sign-in with an authenticator code (the officers' door, the verifiers'): the code step
    and the first sign-in's set-up differ between doors only in this data."""

    who: str  # in the security log: "officer", "verifier"
    pending_key: str
    may_sign_in: Callable[[User | None], bool]
    login_url: str
    enrol_url: str
    home: str
    # The officers' door remembers the browser (lockout.device_remember: a known device keeps
    # signing in while its address is blocked); the verifiers' does not.
    remember_device: bool
    # What the set-up page's "Start again" names; None: the officers' wording and sign-in.
    start_again: str | None = None


OFFICERS = CodeDoor(
    who="officer",
    pending_key=PENDING_KEY,
    may_sign_in=may_sign_in_here,
    login_url="accounts:officer-login",
    enrol_url="accounts:officer-enrol",
    home="officer:queue",
    remember_device=True,
)


def _signed_in(
    request: HttpRequest, door: CodeDoor, state: dict[str, Any], user: User, device: TOTPDevice
) -> HttpResponse:
    del request.session[door.pending_key]
    login(request, user, backend=state["backend"])
    otp_login(request, device)
    response = redirect(_next_url(request, door.home))
    if door.remember_device:
        device_remember(request, response, user)
    return response


def code_step(request: HttpRequest, door: CodeDoor) -> HttpResponse:
    """The code step: signs in only if the password step was right and the code is the app's
    now; a wrong one of either is refused alike, and CODE_TRIES refusals end the attempt."""
    state = _pending(request, door.pending_key)
    if state is None:
        request.session.pop(door.pending_key, None)
        return redirect(door.login_url)
    if enrolling_user(state) is not None:  # the first sign-in: set up the app
        return redirect(f"{reverse(door.enrol_url)}?{request.GET.urlencode()}")
    form = forms.TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accepted = _code_accepted(state, form.cleaned_data["code"].strip(), door.may_sign_in)
        tries = state.get("tries", 0)
        if accepted is not None and tries < CODE_TRIES:
            return _signed_in(request, door, state, *accepted)
        state["tries"] = tries + 1
        request.session[door.pending_key] = state
        if state["tries"] >= CODE_TRIES:
            request.session.pop(door.pending_key, None)
            messages.error(request, TOO_MANY_TRIES)
            return redirect(door.login_url)
        logger.warning("%s sign-in refused at the code step from %s", door.who, client_ip(request))
        form.add_error("code", SIGN_IN_FAILED)
    context = {"form": form, "next": request.GET.get("next", ""), "login_url": door.login_url}
    return render(request, "accounts/code_verify.html", context)


WRONG_CODE = "That code does not match. Enter the code your app shows now for COO Portal."


def enrol_step(request: HttpRequest, door: CodeDoor) -> HttpResponse:
    """The first sign-in of an account without an authenticator: the app is set up with the
    QR code, and the first right code confirms it and signs in."""
    state = _pending(request, door.pending_key)
    user = enrolling_user(state)
    if state is None or user is None or not door.may_sign_in(user):
        return redirect(door.login_url)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    form = forms.TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            officer_enrolment_complete(user=user, device=device)
            return _signed_in(request, door, state, user, device)
        form.add_error("code", WRONG_CODE)
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR code")
    context = {
        "form": form,
        "qr": mark_safe(qr),  # noqa: S308 - segno's own SVG of our otpauth URI
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": request.GET.get("next", ""),
        "start_again": door.start_again,
    }
    return render(request, "accounts/officer_enrol.html", context)


@login_not_required
@require_http_methods(["GET", "POST"])
def officer_verify(request: HttpRequest) -> HttpResponse:
    return code_step(request, OFFICERS)


@login_not_required
@require_http_methods(["GET", "POST"])
def officer_enrol(request: HttpRequest) -> HttpResponse:
    return enrol_step(request, OFFICERS)
