"""Verifier sign-in (customs authorities' and banks' people): the officers' two steps, at their
own door. Username, password and CAPTCHA (accounts.lockout's limits and lockout), then the TOTP
code from an authenticator app; on the first sign-in, setting the app up (accounts.officer_enrol).

Only accounts whose role is the verifier's pass here, and no verifier passes the officers' door
(officer_auth.may_sign_in_here): each persona's pages keep their own checks. Platform staff make
the accounts (admin: verifier organisations and their people).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from .models import User
from .officer_auth import CodeDoor, code_step, enrol_step, password_step

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


VERIFIERS = CodeDoor(
    who="verifier",
    pending_key=PENDING_KEY,
    may_sign_in=may_sign_in_as_verifier,
    login_url="accounts:verifier-login",
    enrol_url="accounts:verifier-enrol",
    home=HOME,
    remember_device=False,
    start_again="accounts:verifier-login",
)


@login_not_required
@require_http_methods(["GET", "POST"])
def verifier_verify(request: HttpRequest) -> HttpResponse:
    return code_step(request, VERIFIERS)


@login_not_required
@require_http_methods(["GET", "POST"])
def verifier_enrol(request: HttpRequest) -> HttpResponse:
    return enrol_step(request, VERIFIERS)
