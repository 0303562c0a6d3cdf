"""The registration steps that exporters and agents share: the email link, the mobile code and
its resending, and the guard of the last step.

The steps in between are views here, each given its flow by the URL (accounts/urls.py).
Both journeys go: details -> "check your email" -> the link (this browser now holds the proof
of the email) -> the SMS code (and of the mobile) -> the account's password (an agent also
chooses a username) -> done. What differs between them is data, a `RegistrationFlow`: whose
accounts, which record carries the proofs, the link's token, the services that record each
proof, the SMS code's purpose and template, the URL names and the link's wording. The first
step and the account's own step keep their own forms and services (accounts/views.py,
accounts/agent_views.py).

Links carry their token only once: the link step checks it, keeps what it needs in the session
and redirects to a page whose address holds no token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import forms
from .models import User
from .services import AccountError, OTPResult, masked_mobile, otp_message, otp_send
from .tokens import TokenCheck, registration_attempt, registration_in_progress


class _Proofs(Protocol):
    """The record that carries an account's registration proofs (an exporter's profile, an
    agent's staff row)."""

    email_verified_at: Any
    mobile_verified_at: Any
    registration_completed_at: Any


class _Token(Protocol):
    def check(self, user: User | None, token: str | None) -> TokenCheck: ...


@dataclass(frozen=True)
class RegistrationFlow:
    session_key: str
    # The pending account by its primary key (None for another role's), and its proofs.
    load: Callable[[int], User | None]
    proofs: Callable[[User], _Proofs]
    email_token: _Token
    verify_email: Callable[..., None]  # (user=) records the email's proof
    verify_mobile: Callable[..., OTPResult]  # (user=, code=) checks the code, records the proof
    otp_purpose: str
    otp_template: str
    # URL names: the details form, the code step, its resend, and the last step.
    start_url: str
    code_url: str
    resend_url: str
    finish_url: str
    # The last step keeps the new account's name (IEC or username) here for the done page.
    done_key: str
    done_template: str
    # What a link that fails the token check is told; `link_used`, if set, for a link whose
    # email is verified already (else such a link is told `link_not_valid`).
    link_not_valid: str
    link_used: str | None = None


def link_invalid(request: HttpRequest, title: str, text: str, again_url: str) -> HttpResponse:
    return render(
        request,
        "accounts/link_invalid.html",
        {"title": title, "text": text, "again_url": again_url},
        status=400,
    )


def code_resend(request: HttpRequest, user: User, purpose: str, template: str) -> None:
    """Send a fresh SMS code, or say why not (too soon, too many this hour)."""
    try:
        otp_send(user=user, purpose=purpose, template=template)
        messages.success(request, f"We have sent a new code to {masked_mobile(user.mobile)}.")
    except AccountError as exc:
        messages.error(request, str(exc))


def in_progress(request: HttpRequest, flow: RegistrationFlow) -> tuple[User, dict[str, Any]] | None:
    """The account whose email link this browser opened, while that attempt is current."""
    return registration_in_progress(
        request.session,
        key=flow.session_key,
        load=flow.load,
        completed=lambda user: flow.proofs(user).registration_completed_at,
    )


@login_not_required
@require_GET
def email_link_step(
    request: HttpRequest, uidb64: str, token: str, *, flow: RegistrationFlow
) -> HttpResponse:
    try:
        user = flow.load(int(force_str(urlsafe_base64_decode(uidb64))))
    except (TypeError, ValueError, OverflowError):
        user = None
    check = flow.email_token.check(user, token)
    again = resolve_url(flow.start_url)
    if check is TokenCheck.EXPIRED:
        return link_invalid(
            request,
            "This link has expired",
            "Verification links last 24 hours. Register again to get a new link and code.",
            again,
        )
    if check is not TokenCheck.VALID or user is None:
        if flow.link_used and user is not None and flow.proofs(user).email_verified_at:
            return link_invalid(request, "This link has already been used", flow.link_used, again)
        return link_invalid(request, "This link is not valid", flow.link_not_valid, again)
    flow.verify_email(user=user)
    # The browser that opened the link holds the proof of the email, for this attempt only.
    request.session.cycle_key()
    request.session[flow.session_key] = {
        "uid": user.pk,
        "attempt": registration_attempt(user),
        "mobile": False,
    }
    messages.success(request, gettext("Your email ID is verified."))
    return redirect(flow.code_url)


@login_not_required
@require_http_methods(["GET", "POST"])
def mobile_code_step(request: HttpRequest, *, flow: RegistrationFlow) -> HttpResponse:
    progress = in_progress(request, flow)
    if progress is None or not flow.proofs(progress[0]).email_verified_at:
        messages.error(request, gettext("Open the link in the email we sent you first."))
        return redirect(flow.start_url)
    user, state = progress
    if state["mobile"]:
        return redirect(flow.finish_url)
    form = forms.OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = flow.verify_mobile(user=user, code=form.cleaned_data["code"])
        if result is OTPResult.OK:
            request.session[flow.session_key] = {**state, "mobile": True}
            return redirect(flow.finish_url)
        form.add_error("code", otp_message(result))
    return render(
        request,
        "accounts/register_mobile.html",
        {
            "form": form,
            "mobile": masked_mobile(user.mobile),
            "resend_url": resolve_url(flow.resend_url),
        },
    )


@login_not_required
@require_POST
def code_resend_step(request: HttpRequest, *, flow: RegistrationFlow) -> HttpResponse:
    progress = in_progress(request, flow)
    if progress is None:
        return redirect(flow.start_url)
    code_resend(request, progress[0], flow.otp_purpose, flow.otp_template)
    return redirect(flow.code_url)


def finish_allowed(
    request: HttpRequest, flow: RegistrationFlow
) -> tuple[User, dict[str, Any]] | HttpResponse:
    """The last step is only for the browser that opened the email link and entered the SMS
    code: the account and the session's state, or where to go instead."""
    progress = in_progress(request, flow)
    if progress is None:
        return redirect(flow.start_url)
    user, state = progress
    proofs = flow.proofs(user)
    if not (state["mobile"] and proofs.email_verified_at and proofs.mobile_verified_at):
        return redirect(flow.code_url)
    return progress


@login_not_required
@require_GET
def done_step(request: HttpRequest, *, flow: RegistrationFlow) -> HttpResponse:
    reference = request.session.get(flow.done_key)
    if not reference:
        return redirect(flow.start_url)
    return render(request, flow.done_template, {"reference": reference})
