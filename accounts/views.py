"""Exporter registration, sign-in, password reset and profile.

Links carry their token only once: the link view checks it, keeps what it needs in the
session and redirects to a page whose address holds no token.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.clientip import client_ip

from . import enquiries, firms, forms, registration, services
from .decorators import exporter_required
from .lockout import device_remember, lockout_response, password_check
from .middleware import forget_signed_in
from .models import LoginActivity, SMSDevice, User
from .registration import code_resend, link_invalid
from .tokens import (
    TokenCheck,
    email_verification_token,
    password_reset_token,
)

REGISTRATION_KEY = "accounts:registration_user"
RESET_KEY = "accounts:reset"
SIGN_IN_FAILED = "The IEC Code, username, email or password is not right."
IP_BLOCKED = "There have been too many failed sign-ins from your network. Try again in an hour."


def _user_from_uid(uidb64: str, roles: tuple[str, ...] = (User.Role.EXPORTER,)) -> User | None:
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    return _user_from_uid_pk(pk, roles)


def _user_from_uid_pk(pk: int, roles: tuple[str, ...] = (User.Role.EXPORTER,)) -> User | None:
    return (
        User.objects.filter(pk=pk, role__in=roles)
        .select_related("exporter_profile__iec_record")
        .first()
    )


# A password reset reaches the firms' members and the agents' staff (services.reset_account).
RESET_ROLES = (User.Role.EXPORTER, User.Role.AGENT)


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


# ---------------------------------------------------------------------------------------------
# Registration (the shared steps: accounts/registration.py)
# ---------------------------------------------------------------------------------------------

EXPORTERS = registration.RegistrationFlow(
    session_key=REGISTRATION_KEY,
    load=_user_from_uid_pk,
    proofs=lambda user: user.exporter_profile,
    email_token=email_verification_token,
    verify_email=services.registration_verify_email,
    verify_mobile=services.registration_verify_mobile,
    otp_purpose=SMSDevice.Purpose.REGISTRATION,
    otp_template="registration_otp",
    start_url="accounts:register",
    code_url="accounts:register-otp",
    resend_url="accounts:register-otp-resend",
    finish_url="accounts:register-password",
    done_key="accounts:registered_iec",
    done_template="accounts/register_done.html",
    link_not_valid=(
        "Check that you used the whole link from the most recent email, or register again."
    ),
    link_used="Each link works once. If you have not finished registering, register again.",
)


@login_not_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Takes the details and answers "if they match, we sent a link": this session gets
    nothing. The email link and the SMS code are what prove the account is yours."""
    form = forms.RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enquiries.registration_request(
            iec=form.cleaned_data["iec"],
            email=form.cleaned_data["email"],
            mobile=form.cleaned_data["mobile"],
        )
        return redirect("accounts:register-email-sent")
    return render(request, "accounts/register.html", {"form": form})


@login_not_required
@require_GET
def register_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/register_sent.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def register_password(request: HttpRequest) -> HttpResponse:
    """Only the browser that opened the email link and entered the SMS code gets here."""
    progress = registration.finish_allowed(request, EXPORTERS)
    if isinstance(progress, HttpResponse):
        return progress
    user, state = progress
    form = forms.SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_complete(
                user=user,
                attempt=state["attempt"],
                password=form.cleaned_data["password1"],
                ip=client_ip(request),
            )
        except services.AccountError as exc:
            request.session.pop(REGISTRATION_KEY, None)
            messages.error(request, str(exc))
            return redirect("accounts:register")
        del request.session[REGISTRATION_KEY]
        request.session[EXPORTERS.done_key] = user.username
        return redirect("accounts:register-done")
    return render(request, "accounts/register_password.html", {"form": form, "iec": user.username})


# ---------------------------------------------------------------------------------------------
# Sign in and out
# ---------------------------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = forms.LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():  # the CAPTCHA passed: now try the password
        iec = services.sign_in_username(form.cleaned_data["iec"])
        attempt = password_check(request, username=iec, password=form.cleaned_data["password"])
        if attempt.address_blocked:
            form.add_error(None, IP_BLOCKED)
            return render(request, "accounts/login.html", {"form": form}, status=429)
        if attempt.locked:
            return lockout_response(request, None, {"username": iec})
        user = attempt.user
        if user is not None and firms.files_for_firms(user):  # a member, or an agent's staff
            login(request, user)
            response = redirect(_next_url(request, settings.LOGIN_REDIRECT_URL))
            device_remember(request, response, user)
            return response
        form.add_error(None, SIGN_IN_FAILED)
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, gettext("You have signed out."))
    response = redirect("accounts:login")
    forget_signed_in(response)
    return response


@exporter_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    """The firm's IEC details and the person's own account: the registrant's and an invited
    member's alike (the firm comes from the membership, accounts.firms)."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login required
    member = firms.member_of(user)
    profile = getattr(user, "exporter_profile", None)
    activity = LoginActivity.objects.filter(user=user)[:10]
    if user.is_agent:  # an agent's staff: the agency, and the IECs it files for now
        return render(
            request,
            "accounts/agent_profile.html",
            {
                "staff": user.agent_staff,
                "firms": firms.firms_for(user),
                "activity": activity,
            },
        )
    return render(
        request,
        "accounts/profile.html",
        {
            "record": member.firm if member else getattr(profile, "iec_record", None),
            "member": member,
            "exporter": profile,
            "activity": activity,
        },
    )


# ---------------------------------------------------------------------------------------------
# Password reset
# ---------------------------------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = forms.PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        enquiries.password_reset_request(iec=form.cleaned_data["iec"])
        return redirect("accounts:password-reset-sent")
    return render(request, "accounts/password_reset.html", {"form": form})


@login_not_required
@require_GET
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_sent.html")


@login_not_required
@require_GET
def password_reset_link(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = _user_from_uid(uidb64, RESET_ROLES)
    check = password_reset_token.check(user, token)
    again = resolve_url("accounts:password-reset")
    if check is TokenCheck.EXPIRED:
        return link_invalid(
            request,
            "This link has expired",
            "Password reset links last 1 hour. Ask for a new one.",
            again,
        )
    if check is not TokenCheck.VALID or user is None:
        return link_invalid(
            request,
            "This link is not valid",
            "The link may have been used already, or a newer one sent. Ask for a new one.",
            again,
        )
    request.session[RESET_KEY] = {"uid": user.pk, "token": token}
    try:
        services.otp_send(
            user=user, purpose=SMSDevice.Purpose.PASSWORD_RESET, template="password_reset_otp"
        )
    except services.AccountError as exc:
        messages.info(request, str(exc))
    return redirect("accounts:password-reset-otp")


def _reset_in_progress(request: HttpRequest) -> User | None:
    state = request.session.get(RESET_KEY) or {}
    user = _user_from_uid_pk(state["uid"], RESET_ROLES) if state.get("uid") else None
    if password_reset_token.check(user, state.get("token")) is not TokenCheck.VALID:
        return None
    return user


@login_not_required
@require_http_methods(["GET", "POST"])
def password_reset_set(request: HttpRequest) -> HttpResponse:
    user = _reset_in_progress(request)
    if user is None:
        request.session.pop(RESET_KEY, None)
        return link_invalid(
            request,
            "This link is not valid",
            "The link has expired or has been used. Ask for a new one.",
            resolve_url("accounts:password-reset"),
        )
    form = forms.ResetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.password_reset_complete(
            user=user,
            code=form.cleaned_data["code"],
            password=form.cleaned_data["password1"],
            ip=client_ip(request),
        )
        if result is services.OTPResult.OK:
            request.session.pop(RESET_KEY, None)
            return redirect("accounts:password-reset-complete")
        form.add_error("code", services.otp_message(result))
    return render(
        request,
        "accounts/password_reset_set.html",
        {"form": form, "mobile": services.masked_mobile(user.mobile)},
    )


@login_not_required
@require_POST
def password_reset_resend(request: HttpRequest) -> HttpResponse:
    user = _reset_in_progress(request)
    if user is None:
        return redirect("accounts:password-reset")
    code_resend(request, user, SMSDevice.Purpose.PASSWORD_RESET, "password_reset_otp")
    return redirect("accounts:password-reset-otp")


@login_not_required
@require_GET
def password_reset_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_done.html")
