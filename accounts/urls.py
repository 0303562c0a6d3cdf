from __future__ import annotations

from django.urls import path

from . import (
    agent_staff_views,
    agent_views,
    member_views,
    officer_auth,
    officer_invitation,
    registration,
    verifier_auth,
    views,
)

# The registration steps that exporters and agents share take their flow as a URL keyword.
EXPORTER_FLOW = {"flow": views.EXPORTERS}
AGENT_FLOW = {"flow": agent_views.AGENTS}

app_name = "accounts"
urlpatterns = [
    path("register/", views.register, name="register"),
    path("register/check-your-email/", views.register_sent, name="register-email-sent"),
    path(
        "register/verify/<str:uidb64>/<str:token>/",
        registration.email_link_step,
        EXPORTER_FLOW,
        name="verify-email",
    ),
    path("register/mobile/", registration.mobile_code_step, EXPORTER_FLOW, name="register-otp"),
    path(
        "register/mobile/resend/",
        registration.code_resend_step,
        EXPORTER_FLOW,
        name="register-otp-resend",
    ),
    path("register/password/", views.register_password, name="register-password"),
    path("register/done/", registration.done_step, EXPORTER_FLOW, name="register-done"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password-reset/", views.password_reset, name="password-reset"),
    path("password-reset/sent/", views.password_reset_sent, name="password-reset-sent"),
    path("password-reset/new-password/", views.password_reset_set, name="password-reset-otp"),
    path(
        "password-reset/new-password/resend/",
        views.password_reset_resend,
        name="password-reset-otp-resend",
    ),
    path("password-reset/done/", views.password_reset_done, name="password-reset-complete"),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        views.password_reset_link,
        name="password-reset-confirm",
    ),
    # The firm's people (administrators), and accepting an invitation (public, by its link).
    path("people/", member_views.people, name="members"),
    path("people/invite/", member_views.invite, name="member-invite"),
    path("people/invite/check/", member_views.invite_check, name="member-invite-check"),
    path("people/<int:member_id>/role/", member_views.member_role, name="member-role"),
    path("people/<int:member_id>/remove/", member_views.member_remove, name="member-remove"),
    path(
        "people/invitations/<int:invitation_id>/cancel/",
        member_views.invitation_cancel,
        name="invitation-cancel",
    ),
    path("invitation/details/", member_views.invitation_details, name="invitation-details"),
    path("invitation/mobile/", member_views.invitation_mobile, name="invitation-otp"),
    path(
        "invitation/mobile/resend/",
        member_views.invitation_mobile_resend,
        name="invitation-otp-resend",
    ),
    path("invitation/done/", member_views.invitation_done, name="invitation-done"),
    path("invitation/<str:token>/", member_views.invitation_open, name="invitation-open"),
    path("officer/login/", officer_auth.officer_login, name="officer-login"),
    path("officer/verify/", officer_auth.officer_verify, name="officer-otp"),
    path("officer/set-up-authenticator/", officer_auth.officer_enrol, name="officer-enrol"),
    path("verifier/login/", verifier_auth.verifier_login, name="verifier-login"),
    path("verifier/verify/", verifier_auth.verifier_verify, name="verifier-otp"),
    path("verifier/set-up-authenticator/", verifier_auth.verifier_enrol, name="verifier-enrol"),
    path(
        "officer/invitation/<str:uidb64>/<str:token>/",
        officer_invitation.officer_invitation,
        name="officer-invitation",
    ),
]

urlpatterns += [
    path("agents/register/", agent_views.agent_register, name="agent-register"),
    path(
        "agents/register/check-your-email/",
        agent_views.agent_register_sent,
        name="agent-register-sent",
    ),
    path(
        "agents/register/verify/<str:uidb64>/<str:token>/",
        registration.email_link_step,
        AGENT_FLOW,
        name="agent-verify-email",
    ),
    path(
        "agents/register/mobile/",
        registration.mobile_code_step,
        AGENT_FLOW,
        name="agent-register-otp",
    ),
    path(
        "agents/register/mobile/resend/",
        registration.code_resend_step,
        AGENT_FLOW,
        name="agent-register-otp-resend",
    ),
    path(
        "agents/register/account/",
        agent_views.agent_register_account,
        name="agent-register-account",
    ),
    path("agents/register/done/", registration.done_step, AGENT_FLOW, name="agent-register-done"),
    path("acting-for/", agent_views.acting_for, name="acting-for"),
    # The agent's staff (its administrator); accepting is the firm invitation's pages.
    path("agents/staff/", agent_staff_views.staff_list, name="agent-staff"),
    path("agents/staff/invite/", agent_staff_views.staff_invite, name="agent-staff-invite"),
    path(
        "agents/staff/<int:staff_id>/role/", agent_staff_views.staff_role, name="agent-staff-role"
    ),
    path(
        "agents/staff/<int:staff_id>/remove/",
        agent_staff_views.staff_remove,
        name="agent-staff-remove",
    ),
    path(
        "agents/staff/invitations/<int:invitation_id>/cancel/",
        agent_staff_views.staff_invitation_cancel,
        name="agent-staff-invitation-cancel",
    ),
    path("firm/agents/", agent_views.firm_agents, name="firm-agents"),
    path("firm/agents/check/", agent_views.firm_agents_check, name="firm-agents-check"),
    path("firm/agents/wallet/", agent_views.firm_agents_wallet, name="firm-agents-wallet"),
    path(
        "firm/agents/<int:authorisation_id>/withdraw/",
        agent_views.firm_agent_withdraw,
        name="firm-agent-withdraw",
    ),
]
