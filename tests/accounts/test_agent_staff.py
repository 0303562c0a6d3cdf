"""An agent's administrator adds colleagues (issue 33): an invitation like a firm's (a link
claimed once, by the first holder to verify, bound to the invitee, the administrator told who
joined with which mobile), manages who administers and removes people; an agent's pages never
show another agent's people, and only its administrator may open them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts import firms
from accounts.models import AgentStaff, FirmInvitation, FirmMember, User
from tests.accounts.agent_factories import AgentStaffFactory, kiran_logistics, kurt_forwarding
from tests.members_helpers import CODE_RE, INVITATION_LINK_RE, PASSWORD, accept, details

pytestmark = pytest.mark.django_db


@pytest.fixture
def kiran(alice) -> AgentStaff:
    return kiran_logistics(alice.exporter_profile.iec_record, alice)


@pytest.fixture
def kiran_client(kiran) -> Client:
    client = Client()
    client.force_login(kiran.user)
    return client


def invite(client: Client, *, name: str, email: str, role: str, capture, mail_outbox) -> str:
    """The administrator's invite form, sent; the link's path from the email."""
    with capture(execute=True):
        sent = client.post(
            reverse("accounts:agent-staff-invite"), {"name": name, "email": email, "role": role}
        )
    assert sent.status_code == 302, sent.content.decode()[:2000]
    assert sent["Location"] == reverse("accounts:agent-staff")
    assert mail_outbox[-1].to == [email]
    return INVITATION_LINK_RE.search(mail_outbox[-1].body).group(1)


def test_the_agents_administrator_invites_a_colleague_who_joins_and_files_for_the_same_firms(
    kiran, kiran_client, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(
        kiran_client,
        name="Meera Iyer",
        email="meera@kiran.example.com",
        role="staff",
        capture=capture,
        mail_outbox=mail_outbox,
    )
    assert "Kiran Logistics" in mail_outbox[-1].subject
    assert "as a member of staff" in mail_outbox[-1].body
    # The invitee sees who invites her, to which agent, before giving anything.
    page = Client()
    page.get(link)
    text = page.get(reverse("accounts:invitation-details")).content.decode()
    assert "Kiran Rao, an administrator of Kiran Logistics" in text
    assert "CB/MUM/KIRAN" in text

    accept(link, username="meera", mobile="9820077777", sms_outbox=sms_outbox, capture=capture)
    meera = User.objects.get(username="meera")
    assert meera.is_active
    assert meera.role == User.Role.AGENT
    staff = AgentStaff.objects.get(user=meera)
    assert staff.agent_id == kiran.agent_id
    assert not staff.is_administrator
    assert not FirmMember.objects.filter(user=meera).exists()
    # She acts for the firms that authorise Kiran Logistics, with a signatory's powers.
    firm_id = alice.exporter_profile.iec_record.pk
    assert firms.may(meera, firm_id, firms.Capability.SUBMIT)
    assert not firms.may(meera, firm_id, firms.Capability.MANAGE)
    # Kiran is told who joined, with which mobile (masked).
    told = [m for m in mail_outbox if m.to == [kiran.user.email] and "joined" in m.subject]
    assert len(told) == 1
    assert "meera" in told[0].body
    assert "******7777" in told[0].body
    assert "9820077777" not in told[0].body
    # She signs in with her username and password and files for Alice's firm.
    signed_in = Client()
    answer = signed_in.post(
        reverse("accounts:login"),
        {"iec": "meera", "password": PASSWORD, "captcha_0": "x", "captcha_1": "PASSED"},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert signed_in.get(reverse("applications:list")).status_code == 200
    # And she now appears on the staff page; the invitation has left the pending list.
    listing = kiran_client.get(reverse("accounts:agent-staff")).content.decode()
    assert "meera@kiran.example.com" in listing
    assert "Invitations not yet accepted" in listing
    assert "None." in listing


def test_the_link_is_claimed_once_by_the_first_holder_to_verify(
    kiran_client, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(
        kiran_client,
        name="Meera Iyer",
        email="meera@kiran.example.com",
        role="administrator",
        capture=capture,
        mail_outbox=mail_outbox,
    )
    holders = []
    for username, mobile in (("meera", "9820077777"), ("mallory", "9820066666")):
        holder = Client()
        holder.get(link)
        with capture(execute=True):
            holder.post(
                reverse("accounts:invitation-details"),
                details(username=username, mobile=mobile),
            )
        holders.append((holder, CODE_RE.search(sms_outbox[-1].body).group(1)))
    (meera, meera_code), (mallory, mallory_code) = holders
    with capture(execute=True):
        meera.post(reverse("accounts:invitation-otp"), {"code": meera_code})
    refused = mallory.post(reverse("accounts:invitation-otp"), {"code": mallory_code})
    assert refused.status_code == 400
    assert "Someone else has already joined" in refused.content.decode()
    assert not User.objects.filter(username="mallory").exists()
    assert AgentStaff.objects.get(user__username="meera").is_administrator


def test_only_the_agents_administrator_opens_the_staff_pages(kiran, alice):
    colleague = AgentStaffFactory(agent=kiran.agent, is_administrator=False)
    for who in (colleague.user, alice):
        client = Client()
        client.force_login(who)
        for url in (
            reverse("accounts:agent-staff"),
            reverse("accounts:agent-staff-invite"),
            reverse("accounts:agent-staff-role", args=[kiran.pk]),
            reverse("accounts:agent-staff-remove", args=[kiran.pk]),
        ):
            assert client.get(url).status_code == 404, (who, url)
        assert (
            client.post(reverse("accounts:agent-staff-remove", args=[kiran.pk])).status_code == 404
        )
    kiran.refresh_from_db()
    assert kiran.removed_at is None


def test_an_agent_never_sees_or_touches_another_agents_people(
    kiran, kiran_client, alice, mail_outbox, django_capture_on_commit_callbacks
):
    kurt = kurt_forwarding(alice.exporter_profile.iec_record, alice)
    kurt_colleague = AgentStaffFactory(
        agent=kurt.agent, is_administrator=False, user__email="ravi@kurt.example.com"
    )
    kurt_invitation_link = invite(
        _client(kurt.user),
        name="Asha",
        email="asha@kurt.example.com",
        role="staff",
        capture=django_capture_on_commit_callbacks,
        mail_outbox=mail_outbox,
    )
    assert kurt_invitation_link
    kurt_invitation = FirmInvitation.objects.get(email="asha@kurt.example.com")
    # Kiran's own page shows Kiran Logistics' people and invitations, and nothing of Kurt's.
    page = kiran_client.get(reverse("accounts:agent-staff")).content.decode()
    assert kiran.user.email in page
    assert "ravi@kurt.example.com" not in page
    assert "asha@kurt.example.com" not in page
    assert kurt.user.email not in page
    # Kurt's people and invitation, addressed by id, are pages that do not exist for Kiran.
    for staff in (kurt, kurt_colleague):
        assert (
            kiran_client.get(reverse("accounts:agent-staff-role", args=[staff.pk])).status_code
            == 404
        )
        gone = kiran_client.post(reverse("accounts:agent-staff-remove", args=[staff.pk]))
        assert gone.status_code == 404
        changed = kiran_client.post(
            reverse("accounts:agent-staff-role", args=[staff.pk]), {"role": "staff"}
        )
        assert changed.status_code == 404
    cancel = kiran_client.post(
        reverse("accounts:agent-staff-invitation-cancel", args=[kurt_invitation.pk])
    )
    assert cancel.status_code == 404
    kurt_invitation.refresh_from_db()
    assert kurt_invitation.cancelled_at is None
    assert AgentStaff.objects.filter(agent=kurt.agent, removed_at__isnull=True).count() == 2
    # And Kurt, on his own page, sees his own.
    own = _client(kurt.user).get(reverse("accounts:agent-staff")).content.decode()
    assert "ravi@kurt.example.com" in own
    assert "asha@kurt.example.com" in own


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_removing_a_colleague_ends_their_sessions_and_the_agent_keeps_an_administrator(
    kiran, kiran_client, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    colleague = AgentStaffFactory(
        agent=kiran.agent, is_administrator=False, user__mobile="+919820055555"
    )
    theirs = _client(colleague.user)
    assert theirs.get(reverse("applications:list")).status_code == 200
    # Kiran cannot remove or demote himself while he is the only administrator.
    last = kiran_client.post(reverse("accounts:agent-staff-remove", args=[kiran.pk]), follow=True)
    assert "must keep at least one administrator" in last.content.decode()
    demote = kiran_client.post(
        reverse("accounts:agent-staff-role", args=[kiran.pk]), {"role": "staff"}
    )
    assert demote.status_code == 422
    assert "must keep at least one administrator" in demote.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        removed = kiran_client.post(
            reverse("accounts:agent-staff-remove", args=[colleague.pk]), follow=True
        )
    assert "has been removed" in removed.content.decode()
    assert "We have told them by email and SMS." in removed.content.decode()
    colleague.refresh_from_db()
    assert colleague.removed_at is not None
    assert not User.objects.get(pk=colleague.user_id).is_active
    assert theirs.get(reverse("applications:list")).status_code == 302  # signed out
    assert any(m.to == [colleague.user.email] and "removed" in m.subject for m in mail_outbox)
    assert sms_outbox[-1].to == colleague.user.mobile


def test_making_a_colleague_an_administrator_lets_them_manage_the_staff(
    kiran, kiran_client, mail_outbox, django_capture_on_commit_callbacks
):
    colleague = AgentStaffFactory(agent=kiran.agent, is_administrator=False)
    theirs = _client(colleague.user)
    assert theirs.get(reverse("accounts:agent-staff")).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        made = kiran_client.post(
            reverse("accounts:agent-staff-role", args=[colleague.pk]), {"role": "administrator"}
        )
    assert made["Location"] == reverse("accounts:agent-staff")
    assert theirs.get(reverse("accounts:agent-staff")).status_code == 200
    assert any("Your role" in m.subject for m in mail_outbox)


def test_the_staff_page_reads_a_fixed_number_of_queries(
    kiran, kiran_client, django_assert_max_num_queries
):
    for _ in range(5):
        AgentStaffFactory(agent=kiran.agent, is_administrator=False)
    with django_assert_max_num_queries(12):
        assert kiran_client.get(reverse("accounts:agent-staff")).status_code == 200
