"""The invited officer's link (accounts.officers.officer_invite): choose a password, then sign
in, where the first sign-in sets up the authenticator app. Public: the link is the proof."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from .forms import SetPasswordForm
from .models import User
from .officers import officer_invitation_accept
from .registration import link_invalid
from .tokens import TokenCheck, officer_invitation_token
from .views import _user_from_uid


@login_not_required
@require_http_methods(["GET", "POST"])
def officer_invitation(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    officer = _user_from_uid(uidb64, roles=(User.Role.OFFICER,))
    check = officer_invitation_token.check(officer, token)
    if check is not TokenCheck.VALID or officer is None or not officer.is_active:
        return link_invalid(
            request,
            "This invitation link has expired"
            if check is TokenCheck.EXPIRED
            else "This invitation link is not valid",
            "Invitation links last 3 days and work once. Ask your agency administrator to "
            "invite you again.",
            reverse("accounts:officer-login"),
        )
    form = SetPasswordForm(officer, request.POST or None)
    if request.method == "POST" and form.is_valid():
        officer_invitation_accept(officer=officer, password=form.cleaned_data["password1"])
        messages.success(
            request,
            gettext(
                "Your password is set. Sign in as %(username)s: you will then set up your "
                "authenticator app."
            )
            % {"username": officer.username},
        )
        return redirect("accounts:officer-login")
    return render(request, "accounts/officer_invitation.html", {"form": form, "officer": officer})
