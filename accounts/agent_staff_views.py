"""The agent's staff page, for its administrator: who files for the agent, invitations not yet
accepted, inviting, changing who administers, removing (the writes are accounts.agent_staff).
Anyone else, an agent's other staff included, gets a 404: the pages of one agent never show
another's people."""

from __future__ import annotations

from typing import cast

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import agent_forms, agent_staff, firms, members, people_pages
from .decorators import exporter_required
from .models import Agent, AgentStaff, User


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _agent(request: HttpRequest) -> Agent:
    agent_id = firms.administered_agent_id(request.user)
    if agent_id is None:
        raise Http404("Not an agent's administrator")
    return Agent.objects.get(pk=agent_id)


def _staff(request: HttpRequest, staff_id: int) -> AgentStaff:
    _agent(request)
    try:
        return agent_staff.staff_get(actor=_actor(request), staff_id=staff_id)
    except members.MemberError as exc:
        raise Http404("No such person") from exc


@exporter_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    return render(
        request,
        "accounts/agent_staff.html",
        {
            "agent": agent,
            "staff": agent_staff.staff_current(agent.pk),
            "invitations": [
                (i, members.invitation_state(i)) for i in agent_staff.invitations_pending(agent.pk)
            ],
        },
    )


@exporter_required
@require_http_methods(["GET", "POST"])
def staff_invite(request: HttpRequest) -> HttpResponse:
    agent = _agent(request)
    form = agent_forms.AgentStaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invited = agent_staff.agent_staff_invite(
                actor=_actor(request),
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                administrator=form.administrator,
            )
        except members.MemberError as exc:
            form.add_error("email", str(exc))
        else:
            people_pages.invitation_sent(request, invited.invitation)
            return redirect("accounts:agent-staff")
    return render(
        request,
        "accounts/agent_staff_invite.html",
        {"form": form, "agent": agent},
        status=422 if form.errors else 200,
    )


@exporter_required
@require_POST
def staff_invitation_cancel(request: HttpRequest, invitation_id: int) -> HttpResponse:
    _agent(request)
    return people_pages.invitation_cancel(
        request,
        lambda: agent_staff.agent_staff_invitation_cancel(
            actor=_actor(request), invitation_id=invitation_id
        ),
        back="accounts:agent-staff",
    )


@exporter_required
@require_http_methods(["GET", "POST"])
def staff_role(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = _staff(request, staff_id)
    initial = {"role": "administrator" if staff.is_administrator else "staff"}
    form = agent_forms.AgentStaffRoleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = agent_staff.agent_staff_role_change(
                actor=_actor(request), staff_id=staff.pk, administrator=form.administrator
            )
        except members.MemberError as exc:
            form.add_error("role", str(exc))
        else:
            name = changed.user.get_full_name() or changed.user.username
            text = (
                gettext("%(name)s is now an administrator of the agent.")
                if changed.is_administrator
                else gettext("%(name)s is now on the agent's staff, not an administrator.")
            )
            return people_pages.role_changed(
                request,
                changed,
                text % {"name": name},
                administrator=changed.is_administrator,
                back="accounts:agent-staff",
            )
    return people_pages.role_page(
        request,
        staff,
        form,
        back="accounts:agent-staff",
        template="accounts/agent_staff_role.html",
    )


@exporter_required
@require_http_methods(["GET", "POST"])
def staff_remove(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = _staff(request, staff_id)
    return people_pages.person_remove(
        request,
        staff,
        lambda: agent_staff.agent_staff_remove(actor=_actor(request), staff_id=staff.pk),
        back="accounts:agent-staff",
        template="accounts/agent_staff_remove.html",
        told_by_sms=bool(staff.user.mobile),
        removed_yourself=gettext("You have removed yourself from the agent and are signed out."),
    )
