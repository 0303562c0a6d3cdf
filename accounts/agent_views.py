"""Agents' pages: registration (public), the firm administrator's "Agents" page, and the
switcher with which an agent's staff chooses the IEC they file for."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import agent_forms, agents, enquiries, firms, registration
from .decorators import exporter_required
from .models import AgentAuthorisation, SMSDevice, User
from .services import AccountError

REGISTRATION_KEY = "accounts:agent_registration"
GRANT_KEY = "accounts:agent_grant"


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


def _pending_user(pk: int) -> User | None:
    return (
        User.objects.filter(pk=pk, role=User.Role.AGENT)
        .select_related("agent_staff__agent")
        .first()
    )


AGENTS = registration.RegistrationFlow(
    session_key=REGISTRATION_KEY,
    load=_pending_user,
    proofs=lambda user: user.agent_staff,
    email_token=agents.agent_email_token,
    verify_email=agents.agent_register_verify_email,
    verify_mobile=agents.agent_register_verify_mobile,
    otp_purpose=SMSDevice.Purpose.AGENT_REGISTRATION,
    otp_template=agents.OTP_TEMPLATE,
    start_url="accounts:agent-register",
    code_url="accounts:agent-register-otp",
    resend_url="accounts:agent-register-otp-resend",
    finish_url="accounts:agent-register-account",
    done_key="accounts:registered_agent",
    done_template="accounts/agent_register_done.html",
    link_not_valid=(
        "It may have been used already, or a newer one sent. Use the whole link from the "
        "most recent email, or register again."
    ),
)


@login_not_required
@require_http_methods(["GET", "POST"])
def agent_register(request: HttpRequest) -> HttpResponse:
    """Takes the details and answers "we sent a link" whatever the portal holds."""
    form = agent_forms.AgentRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        enquiries.agent_registration_request(
            details=agents.AgentDetails(
                name=d["name"],
                kind=d["kind"],
                licence_number=d["licence_number"],
                pan=d["pan"],
                email=d["email"],
                mobile=d["mobile"],
                person_name=d["person_name"],
            )
        )
        return redirect("accounts:agent-register-sent")
    return render(request, "accounts/agent_register.html", {"form": form})


@login_not_required
@require_GET
def agent_register_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/agent_register_sent.html")


@login_not_required
@require_http_methods(["GET", "POST"])
def agent_register_account(request: HttpRequest) -> HttpResponse:
    """Only the browser that opened the email link and entered the SMS code gets here."""
    progress = registration.finish_allowed(request, AGENTS)
    if isinstance(progress, HttpResponse):
        return progress
    user, state = progress
    staff = user.agent_staff
    form = agent_forms.AgentAccountForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            agents.agent_register_complete(
                user=user,
                attempt=state["attempt"],
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
        except AccountError as exc:
            request.session.pop(REGISTRATION_KEY, None)
            messages.error(request, str(exc))
            return redirect("accounts:agent-register")
        del request.session[REGISTRATION_KEY]
        request.session[AGENTS.done_key] = form.cleaned_data["username"]
        return redirect("accounts:agent-register-done")
    return render(
        request, "accounts/agent_register_account.html", {"form": form, "agent": staff.agent}
    )


# ---------------------------------------------------------------------------------------------
# The firm's "Agents" page (its administrators only)
# ---------------------------------------------------------------------------------------------


def _user(request: HttpRequest) -> User:
    """The signed-in person (every view here is behind exporter_required)."""
    assert isinstance(request.user, User)  # noqa: S101 - exporter_required let them in
    return request.user


def _managed_firm(request: HttpRequest) -> int:
    """The firm whose agents this administrator manages; anyone else gets a 404."""
    firm_id = firms.acting_firm_id(request)
    if firm_id is None or not firms.may(request.user, firm_id, firms.Capability.MANAGE):
        raise Http404
    return firm_id


@exporter_required
@require_http_methods(["GET", "POST"])
def firm_agents(request: HttpRequest) -> HttpResponse:
    """Current and past authorisations, and the form that grants one (checked next page)."""
    firm_id = _managed_firm(request)
    form = agent_forms.AuthorisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if agents.agent_for_licence(d["licence_number"]) is None:
            form.add_error("licence_number", "No registered agent has this licence number.")
        else:
            request.session[GRANT_KEY] = {
                "firm_id": firm_id,
                "licence_number": d["licence_number"],
                "start": d["start"].isoformat(),
                "end": d["end"].isoformat(),
            }
            return redirect("accounts:firm-agents-check")
    rows = [(a, agents.authorisation_state(a)) for a in agents.authorisations_of(firm_id)]
    agents_pay = firms.agents_pay_from_wallet(firm_id)
    return render(
        request,
        "accounts/firm_agents.html",
        {
            "form": form,
            "agents_pay_from_wallet": agents_pay,
            "wallet_form": agent_forms.AgentsWalletForm(
                initial={"agents_pay_from_wallet": agents_pay}
            ),
            "current": [(a, s) for a, s in rows if s in {"in force", "not begun"}],
            "past": [(a, s) for a, s in rows if s not in {"in force", "not begun"}],
        },
    )


@exporter_required
@require_POST
def firm_agents_wallet(request: HttpRequest) -> HttpResponse:
    """The firm's setting: whether its authorised agents may pay from its fee wallet."""
    firm_id = _managed_firm(request)
    form = agent_forms.AgentsWalletForm(request.POST)
    form.is_valid()  # a checkbox: absent means off
    allowed = bool(form.cleaned_data.get("agents_pay_from_wallet"))
    agents.firm_agents_pay_from_wallet_set(by=_user(request), firm_id=firm_id, allowed=allowed)
    messages.success(
        request,
        "Your authorised agents may now pay fees from your fee wallet."
        if allowed
        else "Your authorised agents can no longer pay fees from your fee wallet: they pay by "
        "card.",
    )
    return redirect("accounts:firm-agents")


@exporter_required
@require_http_methods(["GET", "POST"])
def firm_agents_check(request: HttpRequest) -> HttpResponse:
    """Check your answers, then grant."""
    firm_id = _managed_firm(request)
    pending = request.session.get(GRANT_KEY)
    if not isinstance(pending, dict) or pending.get("firm_id") != firm_id:
        return redirect("accounts:firm-agents")
    start, end = date.fromisoformat(pending["start"]), date.fromisoformat(pending["end"])
    agent = agents.agent_for_licence(pending["licence_number"])
    if request.method == "POST":
        try:
            authorisation = agents.authorisation_grant(
                by=_user(request),
                firm_id=firm_id,
                licence_number=pending["licence_number"],
                start=start,
                end=end,
            )
        except AccountError as exc:
            messages.error(request, str(exc))
            return redirect("accounts:firm-agents")
        request.session.pop(GRANT_KEY, None)
        messages.success(
            request,
            f"{authorisation.agent.name} may file for your IEC from {start:%d %b %Y} to "
            f"{end:%d %b %Y}. {authorisation.told}",  # type: ignore[attr-defined]  # set by the service
        )
        return redirect("accounts:firm-agents")
    if agent is None:
        return redirect("accounts:firm-agents")
    return render(
        request, "accounts/firm_agents_check.html", {"agent": agent, "start": start, "end": end}
    )


@exporter_required
@require_http_methods(["GET", "POST"])
def firm_agent_withdraw(request: HttpRequest, authorisation_id: int) -> HttpResponse:
    firm_id = _managed_firm(request)
    authorisation = (
        AgentAuthorisation.objects.select_related("agent")
        .filter(pk=authorisation_id, firm_id=firm_id)
        .first()
    )
    if authorisation is None:
        raise Http404
    if request.method == "POST":
        try:
            withdrawn = agents.authorisation_withdraw(
                by=_user(request), authorisation_id=authorisation.pk
            )
        except AccountError as exc:
            messages.error(request, str(exc))
            return redirect("accounts:firm-agents")
        messages.success(
            request,
            f"{authorisation.agent.name} can no longer file for your IEC or see its "
            f"applications. {withdrawn.told}",  # type: ignore[attr-defined]  # set by the service
        )
        return redirect("accounts:firm-agents")
    return render(
        request,
        "accounts/firm_agent_withdraw.html",
        {"authorisation": authorisation, "state": agents.authorisation_state(authorisation)},
    )


# ---------------------------------------------------------------------------------------------
# The agent's IEC switcher
# ---------------------------------------------------------------------------------------------


@exporter_required
@require_http_methods(["GET", "POST"])
def acting_for(request: HttpRequest) -> HttpResponse:
    """An agent's staff chooses the IEC they file for (only one that authorises them now)."""
    if firms.agent_id_of(request.user) is None:
        raise Http404
    choices = list(firms.firms_for(request.user))
    form = agent_forms.ActingFirmForm(request.POST or None, firms=choices)
    if request.method == "POST" and form.is_valid():
        firm_id = form.cleaned_data["firm"]
        request.session[firms.ACTING_FIRM_SESSION_KEY] = firm_id
        chosen = next(f for f in choices if f.pk == firm_id)
        messages.success(request, f"You are filing for {chosen.firm_name} (IEC {chosen.iec}).")
        target = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(target)
        return redirect("applications:list")
    return render(
        request,
        "accounts/acting_for.html",
        {"form": form, "firms": choices, "acting_id": firms.acting_firm_id(request)},
    )
