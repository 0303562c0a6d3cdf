"""The agency administrator's officer pages: the agency's officers, inviting one, and for
each officer the office, deactivation, a new authenticator and the record of all of it.

Only an agency administrator (second factor verified) reaches them; any other officer gets a
404, as for a page that does not exist. Writes go through accounts.officers, which checks the
agency again and records every step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import officers
from accounts.decorators import officer_required
from accounts.models import OfficerProfile, User
from accounts.permissions import is_agency_admin
from accounts.services import AccountError

from . import selectors
from .forms import OfficerInviteForm, OfficerOfficeForm, OfficerOtherOfficesForm


def _admin(request: HttpRequest) -> tuple[User, OfficerProfile]:
    """The signed-in agency administrator and their profile; 404 for anyone else."""
    user = request.user
    if not isinstance(user, User):  # officer_required let no one else through
        raise Http404("Not an agency administrator")
    profile = selectors.officer_profile_for(user)
    if not is_agency_admin(user, profile.agency_id):
        raise Http404("Not an agency administrator")
    return user, profile


def _officer(admin: User, officer_id: int) -> User:
    try:
        return officers.officer_for_admin(admin=admin, officer_id=officer_id)
    except officers.OfficerNotFoundError as exc:
        raise Http404("No such officer") from exc


@require_http_methods(["GET", "POST"])
@officer_required
def officer_list(request: HttpRequest) -> HttpResponse:
    """The agency's officers, and the invitation form."""
    admin, profile = _admin(request)
    form = OfficerInviteForm(request.POST or None, profile=profile)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invited = officers.officer_invite(
                admin=admin,
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                office_id=data["office"].pk,
            )
        except AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("%(officer)s is invited: the link is emailed to %(email)s.")
                % {"officer": invited.officer.get_full_name(), "email": invited.officer.email},
            )
            return redirect("officer:officers")
    people = list(officers.agency_officers_for_admin(admin=admin))
    status = 422 if form.errors else 200
    return render(
        request,
        "officer/officers.html",
        {"people": people, "form": form, "profile": profile},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@officer_required
def officer_detail(request: HttpRequest, officer_id: int) -> HttpResponse:
    """One officer: the office (changed here), their state and the record."""
    admin, profile = _admin(request)
    officer = _officer(admin, officer_id)
    form = OfficerOfficeForm(
        request.POST or None, profile=profile, initial={"office": officer.officer_profile.office}
    )
    if request.method == "POST" and form.is_valid():
        officers.officer_office_change(
            admin=admin, officer_id=officer.pk, office_id=form.cleaned_data["office"].pk
        )
        messages.success(
            request,
            gettext("%(officer)s now works at the chosen office.")
            % {"officer": officer.get_full_name()},
        )
        return redirect("officer:officer", officer_id=officer.pk)
    context = {
        "officer": officer,
        "form": form,
        "others_form": OfficerOtherOfficesForm(
            profile=profile,
            officer_profile=officer.officer_profile,
            initial={"other_offices": list(officer.officer_profile.other_offices.all())},
        ),
        "events": list(officers.officer_events(officer=officer)[:50]),
        "has_authenticator": TOTPDevice.objects.filter(user=officer, confirmed=True).exists(),
    }
    return render(request, "officer/officer.html", context, status=422 if form.errors else 200)


@require_POST
@officer_required
def officer_other_offices(request: HttpRequest, officer_id: int) -> HttpResponse:
    """The other offices of the agency the officer serves."""
    admin, profile = _admin(request)
    officer = _officer(admin, officer_id)
    form = OfficerOtherOfficesForm(
        request.POST, profile=profile, officer_profile=officer.officer_profile
    )
    if not form.is_valid():
        messages.error(request, "Choose offices of your agency.")
        return redirect("officer:officer", officer_id=officer.pk)
    officers.officer_other_offices_set(
        admin=admin,
        officer_id=officer.pk,
        office_ids=[o.pk for o in form.cleaned_data["other_offices"]],
    )
    chosen = ", ".join(o.code for o in form.cleaned_data["other_offices"]) or "no other office"
    messages.success(
        request,
        gettext("%(officer)s now also serves: %(offices)s.")
        % {"officer": officer.get_full_name() or officer.username, "offices": chosen},
    )
    return redirect("officer:officer", officer_id=officer.pk)


def _act(
    request: HttpRequest, officer_id: int, action: Callable[..., Any], success: str
) -> HttpResponse:
    admin, _ = _admin(request)
    officer = _officer(admin, officer_id)
    action(admin=admin, officer_id=officer.pk)
    messages.success(request, success.format(name=officer.get_full_name() or officer.username))
    return redirect("officer:officer", officer_id=officer.pk)


@require_POST
@officer_required
def officer_deactivate(request: HttpRequest, officer_id: int) -> HttpResponse:
    return _act(
        request,
        officer_id,
        officers.officer_deactivate,
        "{name} is deactivated and can no longer sign in.",
    )


@require_POST
@officer_required
def officer_reactivate(request: HttpRequest, officer_id: int) -> HttpResponse:
    return _act(request, officer_id, officers.officer_reactivate, "{name} can sign in again.")


@require_POST
@officer_required
def officer_authenticator_reset(request: HttpRequest, officer_id: int) -> HttpResponse:
    return _act(
        request,
        officer_id,
        officers.officer_authenticator_reset,
        "{name}'s authenticator is removed: they set up a new one at their next sign-in.",
    )
