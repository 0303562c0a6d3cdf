"""The firm's people (administrators only) and accepting an invitation (public, by its link).

The invitation link carries its token once: the link view checks it, keeps the invitation's id
and the token's digest in the session and redirects to pages whose address holds no token.
"""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.clientip import client_ip

from . import firms, member_forms, members, people_pages, services
from .decorators import exporter_required
from .forms import OTPForm
from .models import FirmInvitation, FirmMember, FirmRole, IECRecord, User

INVITE_KEY = "accounts:invite"  # the administrator's answers, before "Send invitation"
INVITATION_KEY = "accounts:invitation"  # the invitee's opened link: id and token digest
CLAIMED = "claimed"  # an invitation state for this browser: another holder of the link joined
JOINED_KEY = "accounts:joined"


def _actor(request: HttpRequest) -> User:
    """The signed-in person (every view here that acts is behind exporter_required)."""
    return cast(User, request.user)


def _managed_firm(request: HttpRequest) -> IECRecord:
    firm_id = firms.acting_firm_id(request)
    if firm_id is None or not firms.may(request.user, firm_id, firms.Capability.MANAGE):
        raise PermissionDenied(members.MANAGE_REFUSAL)
    return IECRecord.objects.get(pk=firm_id)


def _member(request: HttpRequest, member_id: int) -> FirmMember:
    _managed_firm(request)
    try:
        return members.member_get(actor=_actor(request), member_id=member_id)
    except members.MemberError as exc:
        raise Http404("No such member") from exc


@exporter_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    firm = _managed_firm(request)
    current = (
        FirmMember.objects.filter(firm=firm, removed_at__isnull=True)
        .select_related("user", "invited_by")
        .order_by("created_at", "pk")
    )
    invitations = (
        FirmInvitation.objects.filter(
            firm=firm, accepted_at__isnull=True, cancelled_at__isnull=True
        )
        .select_related("invited_by")
        .order_by("-created_at", "-pk")
    )
    return render(
        request,
        "accounts/people.html",
        {
            "firm": firm,
            "members": current,
            "invitations": [(i, members.invitation_state(i)) for i in invitations],
        },
    )


@exporter_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    firm = _managed_firm(request)
    form = member_forms.InviteForm(request.POST or None, initial=request.session.get(INVITE_KEY))
    if request.method == "POST" and form.is_valid():
        request.session[INVITE_KEY] = form.cleaned_data
        return redirect("accounts:member-invite-check")
    return render(request, "accounts/people_invite.html", {"form": form, "firm": firm})


@exporter_required
@require_http_methods(["GET", "POST"])
def invite_check(request: HttpRequest) -> HttpResponse:
    """Check your answers, then send."""
    firm = _managed_firm(request)
    answers = request.session.get(INVITE_KEY)
    if not isinstance(answers, dict) or not answers.get("email"):
        return redirect("accounts:member-invite")
    if request.method == "POST":
        try:
            invited = members.member_invite(
                actor=_actor(request),
                firm_id=firm.pk,
                email=answers["email"],
                name=answers["name"],
                role=answers["role"],
            )
        except members.MemberError as exc:
            messages.error(request, str(exc))
            return redirect("accounts:member-invite")
        request.session.pop(INVITE_KEY, None)
        people_pages.invitation_sent(request, invited.invitation)
        return redirect("accounts:members")
    return render(
        request,
        "accounts/people_invite_check.html",
        {"firm": firm, "answers": answers, "role": FirmRole(answers["role"]).label},
    )


@exporter_required
@require_POST
def invitation_cancel(request: HttpRequest, invitation_id: int) -> HttpResponse:
    _managed_firm(request)
    return people_pages.invitation_cancel(
        request,
        lambda: members.invitation_cancel(actor=_actor(request), invitation_id=invitation_id),
        back="accounts:members",
    )


@exporter_required
@require_http_methods(["GET", "POST"])
def member_role(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member(request, member_id)
    form = member_forms.RoleForm(request.POST or None, initial={"role": member.role})
    if request.method == "POST" and form.is_valid():
        try:
            changed = members.member_role_change(
                actor=_actor(request), member_id=member.pk, role=form.cleaned_data["role"]
            )
        except members.MemberError as exc:
            form.add_error("role", str(exc))
        else:
            now = gettext("%(name)s is now %(role)s.") % {
                "name": changed.user.get_full_name() or changed.user.username,
                "role": changed.get_role_display().lower(),
            }
            told = people_pages.told(by_sms=bool(members.member_verified_mobile(changed)))
            return people_pages.role_changed(
                request,
                changed,
                f"{now} {told}",
                administrator=changed.role == FirmRole.ADMINISTRATOR,
                back="accounts:members",
            )
    return people_pages.role_page(
        request, member, form, back="accounts:members", template="accounts/people_role.html"
    )


@exporter_required
@require_http_methods(["GET", "POST"])
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _member(request, member_id)
    return people_pages.person_remove(
        request,
        member,
        lambda: members.member_remove(actor=_actor(request), member_id=member.pk),
        back="accounts:members",
        template="accounts/people_remove.html",
        told_by_sms=bool(members.member_verified_mobile(member)),
        removed_yourself=gettext("You have removed yourself from the firm and are signed out."),
    )


# ---------------------------------------------------------------------------------------------
# Accepting an invitation (public)
# ---------------------------------------------------------------------------------------------


def _invitation_refused(request: HttpRequest, state: str) -> HttpResponse:
    title, text = {
        CLAIMED: ("This invitation has been used by someone else", members.CLAIMED_REFUSAL),
        members.InvitationState.EXPIRED: (
            "This invitation has expired",
            f"Invitations last {members.INVITATION_DAYS} days. Ask the firm's administrator "
            "to invite you again.",
        ),
        members.InvitationState.USED: (
            "This invitation can no longer be used",
            "It has been accepted or cancelled. If you have accepted it, sign in.",
        ),
    }.get(
        state,
        (
            "This link is not valid",
            "Check that you used the whole link from the invitation email, or ask the firm's "
            "administrator to invite you again.",
        ),
    )
    return render(
        request,
        "accounts/link_invalid.html",
        {"title": title, "text": text, "again_url": resolve_url("accounts:login")},
        status=400,
    )


@login_not_required
@require_GET
def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    invitation, state = members.invitation_for_token(token)
    if state != members.InvitationState.OPEN or invitation is None:
        return _invitation_refused(request, state)
    request.session.cycle_key()
    request.session[INVITATION_KEY] = {"id": invitation.pk, "digest": invitation.token_sha256}
    return redirect("accounts:invitation-details")


def _attempt_user_id(request: HttpRequest) -> int | None:
    """This browser's own attempt at the invitation (several people may hold the link)."""
    state = request.session.get(INVITATION_KEY)
    user_id = state.get("user") if isinstance(state, dict) else None
    return user_id if isinstance(user_id, int) else None


def _invitation_in_progress(request: HttpRequest) -> tuple[FirmInvitation | None, str]:
    state = request.session.get(INVITATION_KEY)
    if not isinstance(state, dict) or not state.get("id"):
        return None, members.InvitationState.INVALID
    invitation = (
        FirmInvitation.objects.select_related("firm", "agent", "accepted_user")
        .filter(pk=state["id"], token_sha256=state.get("digest", ""))
        .first()
    )
    answer = members.invitation_state(invitation)
    if answer != members.InvitationState.OPEN:
        request.session.pop(INVITATION_KEY, None)
        if (
            invitation is not None
            and invitation.accepted_at is not None
            and state.get("user") not in (None, invitation.accepted_user_id)
        ):
            answer = CLAIMED  # this browser gave its details, and another holder joined
    return invitation, answer


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_details(request: HttpRequest) -> HttpResponse:
    invitation, state = _invitation_in_progress(request)
    if invitation is None or state != members.InvitationState.OPEN:
        return _invitation_refused(request, state)
    form = member_forms.InvitationDetailsForm(invitation, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = members.invitation_accept_start(
                invitation_id=invitation.pk,
                token_sha256=invitation.token_sha256,
                attempt_user_id=_attempt_user_id(request),
                username=data["username"],
                password=data["password1"],
                mobile=data["mobile"],
            )
        except ValidationError as exc:  # by field: username or password1
            form.add_error(None, exc)
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            request.session[INVITATION_KEY] = {
                "id": invitation.pk,
                "digest": invitation.token_sha256,
                "user": user.pk,
            }
            return redirect("accounts:invitation-otp")
    return render(
        request,
        "accounts/invitation_details.html",
        {"form": form, "invitation": invitation},
        status=422 if form.errors else 200,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_mobile(request: HttpRequest) -> HttpResponse:
    invitation, state = _invitation_in_progress(request)
    if invitation is None or state != members.InvitationState.OPEN:
        return _invitation_refused(request, state)
    user = members.attempt_user(invitation, _attempt_user_id(request))
    if user is None:
        return redirect("accounts:invitation-details")
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = members.invitation_accept(
                invitation_id=invitation.pk,
                token_sha256=invitation.token_sha256,
                attempt_user_id=user.pk,
                code=form.cleaned_data["code"],
                ip=client_ip(request),
            )
        except members.InvitationClaimedError:
            request.session.pop(INVITATION_KEY, None)
            return _invitation_refused(request, CLAIMED)
        except services.AccountError as exc:
            request.session.pop(INVITATION_KEY, None)
            return render(
                request,
                "accounts/link_invalid.html",
                {
                    "title": "The invitation could not be accepted",
                    "text": str(exc),
                    "again_url": resolve_url("accounts:login"),
                },
                status=400,
            )
        if result is services.OTPResult.OK:
            request.session.pop(INVITATION_KEY, None)
            request.session[JOINED_KEY] = {
                "username": user.username,
                "firm": invitation.inviting_name,
                "role": invitation.role_label,
            }
            return redirect("accounts:invitation-done")
        form.add_error("code", services.otp_message(result))
    return render(
        request,
        "accounts/invitation_mobile.html",
        {"form": form, "mobile": services.masked_mobile(user.mobile)},
        status=422 if form.errors else 200,
    )


@login_not_required
@require_POST
def invitation_mobile_resend(request: HttpRequest) -> HttpResponse:
    invitation, state = _invitation_in_progress(request)
    if invitation is None or state != members.InvitationState.OPEN:
        return _invitation_refused(request, state)
    try:
        user = members.invitation_code_resend(
            invitation_id=invitation.pk,
            token_sha256=invitation.token_sha256,
            attempt_user_id=_attempt_user_id(request),
        )
        messages.success(
            request,
            gettext("We have sent a new code to %(mobile)s.")
            % {"mobile": services.masked_mobile(user.mobile)},
        )
    except services.AccountError as exc:
        messages.error(request, str(exc))
    return redirect("accounts:invitation-otp")


@login_not_required
@require_GET
def invitation_done(request: HttpRequest) -> HttpResponse:
    joined = request.session.get(JOINED_KEY)
    if not isinstance(joined, dict):
        return redirect("home")
    return render(request, "accounts/invitation_done.html", {"joined": joined})
