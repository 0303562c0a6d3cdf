"""What a firm's people pages (member_views) and an agent's staff pages (agent_staff_views) do
alike: cancelling an invitation, changing a role, removing a person after a check page. Each
view checks who may act and calls its own service; these say what the administrator is told."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from . import members
from .models import AgentStaff, FirmInvitation, FirmMember


def invitation_sent(request: HttpRequest, invitation: FirmInvitation) -> None:
    messages.success(
        request,
        gettext(
            "We have emailed an invitation to %(email)s. The link lasts %(days)s days and "
            "works once."
        )
        % {"email": invitation.email, "days": members.INVITATION_DAYS},
    )


def invitation_cancel(
    request: HttpRequest, cancel: Callable[[], FirmInvitation], *, back: str
) -> HttpResponse:
    """`cancel` runs the service; `back` is the list's URL name."""
    try:
        invitation = cancel()
    except members.InvitationClosedError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    except members.MemberError as exc:
        raise Http404("No such invitation") from exc
    messages.success(
        request,
        gettext(
            "The invitation to %(email)s is cancelled: its link no longer works. We have told "
            "them by email."
        )
        % {"email": invitation.email},
    )
    return redirect(back)


def person_remove(
    request: HttpRequest,
    person: FirmMember | AgentStaff,
    remove: Callable[[], object],
    *,
    back: str,
    template: str,
    told_by_sms: bool,
    removed_yourself: str,
) -> HttpResponse:
    """Check (who, what happens), then remove: `remove` runs the service. Removing oneself
    signs out, with the message `removed_yourself`."""
    if request.method == "POST":
        try:
            remove()
        except members.MemberError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        if person.user_id == request.user.pk:
            logout(request)
            messages.success(request, removed_yourself)
            return redirect("accounts:login")
        name = person.user.get_full_name() or person.user.username
        removed = gettext(
            "%(name)s has been removed: they are signed out and can no longer sign in."
        ) % {"name": name}
        messages.success(request, f"{removed} {told(by_sms=told_by_sms)}")
        return redirect(back)
    return render(request, template, {"person": person, "back": back})


def told(*, by_sms: bool) -> str:
    return (
        gettext("We have told them by email and SMS.")
        if by_sms
        else gettext("We have told them by email.")
    )


def role_changed(
    request: HttpRequest,
    person: FirmMember | AgentStaff,
    message: str,
    *,
    administrator: bool,
    back: str,
) -> HttpResponse:
    """After a role change: who gave up administering goes to the applications, no longer
    theirs to manage."""
    messages.success(request, message)
    if person.user_id == request.user.pk and not administrator:
        return redirect("applications:list")
    return redirect(back)


def role_page(
    request: HttpRequest, person: FirmMember | AgentStaff, form: Form, *, back: str, template: str
) -> HttpResponse:
    return render(
        request,
        template,
        {"person": person, "form": form, "back": back},
        status=422 if form.errors else 200,
    )
