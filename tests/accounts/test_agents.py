"""Agents (issue 13): a customs broker or forwarder registers (email link + SMS code, safe
against a takeover like the exporter's registration), a firm's administrator authorises it for
a period and withdraws it at any moment, and the agent's staff choose the IEC they file for."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import agents, firms
from accounts.models import Agent, AgentAuthorisation, AgentStaff, User
from accounts.services import AccountError
from tests import factories
from tests.accounts.agent_factories import (
    AgentAuthorisationFactory,
    AgentFactory,
    AgentStaffFactory,
    kiran_logistics,
)
from tests.clients import verified_client

from .conftest import STRONG_PASSWORD, code_from_sms, login_data, path_of

pytestmark = pytest.mark.django_db

AGENT_LINK_RE = re.compile(r"https?://\S+/accounts/agents/register/verify/[^/\s]+/[^/\s]+/")
ACCOUNT_PAGE = "/accounts/agents/register/account/"
START = "/accounts/agents/register/"


def registration_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Kiran Logistics",
        "kind": "customs_broker",
        "licence_number": "cb/mum/1234",
        "pan": "aakck1234l",
        "person_name": "Kiran Rao",
        "email": "desk@kiran.example.com",
        "mobile": "97000 00001",
        "captcha_0": "x",
        "captcha_1": "PASSED",
    }
    data.update(overrides)
    return data


def agent_link(index: int = -1) -> str:
    match = AGENT_LINK_RE.search(mail.outbox[index].body)
    assert match, mail.outbox[index].body
    return path_of(match.group(0))


def submit(client: Client, capture, **overrides: str) -> None:
    with capture(execute=True):
        response = client.post(reverse("accounts:agent-register"), registration_form(**overrides))
    assert response["Location"] == reverse("accounts:agent-register-sent")


def account_data(username: str = "kiran.rao", password: str = STRONG_PASSWORD) -> dict[str, str]:
    return {"username": username, "password1": password, "password2": password}


def alice_firm(alice):
    return alice.exporter_profile.iec_record


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------


def test_an_agent_registers_with_the_email_link_and_the_sms_code_and_signs_in_by_username(
    client, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    submit(client, django_capture_on_commit_callbacks)
    agent = Agent.objects.get(licence_number="CB/MUM/1234")
    assert (agent.status, agent.pan, agent.mobile) == ("pending", "AAKCK1234L", "+919700000001")
    assert mail_outbox[-1].to == ["desk@kiran.example.com"]
    assert sms_outbox[-1].to == "+919700000001"

    assert client.get(agent_link())["Location"] == reverse("accounts:agent-register-otp")
    response = client.post(
        reverse("accounts:agent-register-otp"), {"code": code_from_sms(sms_outbox)}
    )
    assert response["Location"] == reverse("accounts:agent-register-account")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ACCOUNT_PAGE, account_data())
    assert response["Location"] == reverse("accounts:agent-register-done")
    assert "kiran.rao" in client.get(reverse("accounts:agent-register-done")).content.decode()

    agent.refresh_from_db()
    staff = AgentStaff.objects.get(agent=agent)
    assert agent.status == Agent.Status.ACTIVE
    assert staff.is_administrator
    assert staff.registration_completed_at
    assert staff.user.username == "kiran.rao"
    assert staff.user.role == User.Role.AGENT
    assert "kiran.rao" in mail_outbox[-1].body

    # Signs in with the chosen username; no firm authorises the agent yet.
    signed_in = Client()
    response = signed_in.post(reverse("accounts:login"), login_data("kiran.rao", STRONG_PASSWORD))
    assert response["Location"] == reverse("applications:list")
    page = signed_in.get(reverse("accounts:acting-for")).content.decode()
    assert "No firm authorises your agency now." in page


def test_the_answer_is_the_same_for_a_licence_already_registered_and_nothing_is_sent(
    client, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    AgentFactory(licence_number="CB/MUM/1234")
    submit(client, django_capture_on_commit_callbacks, email="stranger@example.com")
    assert mail_outbox == []
    assert sms_outbox == []
    assert not User.objects.filter(email="stranger@example.com").exists()


def test_a_new_attempt_voids_the_earlier_link_code_and_proofs(
    mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    """A stranger holds both proofs of the first attempt; the owner registers again (with the
    real details): the stranger's browser, link and code are worth nothing any more."""
    stranger, owner = Client(), Client()
    submit(stranger, django_capture_on_commit_callbacks, email="stranger@example.com")
    first_link, first_code = agent_link(), code_from_sms(sms_outbox)
    stranger.get(first_link)
    stranger.post(reverse("accounts:agent-register-otp"), {"code": first_code})
    assert stranger.get(ACCOUNT_PAGE).status_code == 200  # both proofs, in this browser

    submit(owner, django_capture_on_commit_callbacks)
    assert stranger.get(ACCOUNT_PAGE)["Location"] == START
    response = stranger.post(ACCOUNT_PAGE, account_data("stranger"))
    assert response["Location"] == START
    assert stranger.get(first_link).status_code == 400
    assert mail_outbox[-1].to == ["desk@kiran.example.com"]

    owner.get(agent_link())
    assert (
        owner.post(reverse("accounts:agent-register-otp"), {"code": first_code}).status_code == 200
    )
    owner.post(reverse("accounts:agent-register-otp"), {"code": code_from_sms(sms_outbox)})
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(ACCOUNT_PAGE, account_data())["Location"] == reverse(
            "accounts:agent-register-done"
        )
    agent = Agent.objects.get(licence_number="CB/MUM/1234")
    assert agent.email == "desk@kiran.example.com"
    assert agent.status == "active"
    assert not User.objects.filter(username="stranger").exists()


def test_the_sms_code_counts_only_in_the_browser_that_opened_the_email_link(
    sms_outbox, django_capture_on_commit_callbacks
):
    stranger = Client()
    submit(stranger, django_capture_on_commit_callbacks)
    response = stranger.post(
        reverse("accounts:agent-register-otp"), {"code": code_from_sms(sms_outbox)}
    )
    assert response["Location"] == START
    assert stranger.get(ACCOUNT_PAGE)["Location"] == START
    assert AgentStaff.objects.get().mobile_verified_at is None


@pytest.mark.parametrize(
    ("username", "problem"),
    [("0123456789", "look like an IEC"), ("ABCDE1234F", "look like an IEC"), ("a@b", "4 to 30")],
)
def test_a_username_may_not_look_like_an_iec(username, problem):
    with pytest.raises(Exception, match=problem):
        agents.username_validate(username)


def test_a_taken_username_is_refused(alice):
    factories.UserFactory(username="kiran.rao")
    with pytest.raises(Exception, match="taken"):
        agents.username_validate("Kiran.Rao")


# ---------------------------------------------------------------------------------------------
# Authorisations: grant, expiry, withdrawal
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def kiran_agent(db) -> AgentStaff:
    return AgentStaffFactory(
        agent__name="Kiran Logistics",
        agent__licence_number="CB/MUM/KIRAN",
        agent__email="desk@kiran.example.com",
        agent__mobile="+919700000001",
        user__username="kiran",
    )


def grant(alice, *, days: int = 30, start_in: int = 0, by=None) -> AgentAuthorisation:
    today = timezone.localdate()
    return agents.authorisation_grant(
        by=by or alice,
        firm_id=alice_firm(alice).pk,
        licence_number="cb/mum/kiran",
        start=today + timedelta(days=start_in),
        end=today + timedelta(days=start_in + days - 1),
    )


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # a new object: access is read again


def test_alices_administrator_authorises_kiran_and_both_sides_hear_of_it(
    alice, kiran_agent, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        authorisation = grant(alice)
    firm = alice_firm(alice)
    assert authorisation.granted_by == alice
    assert firms.firm_ids_for(fresh(kiran_agent.user)) == {firm.pk}
    assert firms.may(fresh(kiran_agent.user), firm.pk, firms.Capability.SUBMIT)
    assert not firms.may(fresh(kiran_agent.user), firm.pk, firms.Capability.WALLET)
    to = {tuple(m.to): m.subject for m in mail_outbox}
    assert "authorised you to file for IEC 0123456789" in to[("desk@kiran.example.com",)]
    assert "You have authorised Kiran Logistics" in to[(firm.email,)]
    assert {s.to for s in sms_outbox} == {"+919700000001", firm.mobile}


def test_another_firms_administrator_cannot_authorise_an_agent_for_alices_firm(
    alice, bob, kiran_agent
):
    with pytest.raises(AccountError, match="Only an administrator"):
        grant(alice, by=bob)
    assert not AgentAuthorisation.objects.exists()


def test_a_preparer_cannot_authorise_an_agent(alice, kiran_agent):
    preparer = factories.FirmMemberFactory(firm=alice_firm(alice), role="preparer").user
    with pytest.raises(AccountError, match="Only an administrator"):
        grant(alice, by=preparer)
    assert not AgentAuthorisation.objects.exists()


def test_the_period_is_at_most_a_year_and_does_not_start_in_the_past(alice, kiran_agent):
    with pytest.raises(AccountError, match="at most 366 days"):
        grant(alice, days=367)
    with pytest.raises(AccountError, match="past"):
        grant(alice, start_in=-1)
    grant(alice, days=366)
    with pytest.raises(AccountError, match="already authorised"):
        grant(alice, start_in=10)


def test_an_unknown_or_unfinished_agent_cannot_be_authorised(alice):
    AgentFactory(licence_number="CB/MUM/KIRAN", status=Agent.Status.PENDING)
    with pytest.raises(AccountError, match="No registered agent"):
        grant(alice)


def test_an_authorisation_ends_by_itself_at_the_end_of_its_last_day(alice, kiran_agent):
    grant(alice, days=2)
    assert firms.firm_ids_for(fresh(kiran_agent.user))
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert firms.firm_ids_for(fresh(kiran_agent.user)) == frozenset()
        assert agents.authorisation_state(AgentAuthorisation.objects.get()) == "ended"


def test_an_authorisation_that_begins_later_gives_nothing_until_then(alice, kiran_agent):
    grant(alice, start_in=5)
    assert firms.firm_ids_for(fresh(kiran_agent.user)) == frozenset()
    with time_machine.travel(timezone.now() + timedelta(days=6)):
        assert firms.firm_ids_for(fresh(kiran_agent.user)) == {alice_firm(alice).pk}


def test_a_withdrawal_takes_effect_at_once_and_both_sides_hear_of_it(
    alice, bob, kiran_agent, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    authorisation = grant(alice)
    with pytest.raises(AccountError):
        agents.authorisation_withdraw(by=bob, authorisation_id=authorisation.pk)
    mail.outbox.clear()
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        agents.authorisation_withdraw(by=alice, authorisation_id=authorisation.pk)
    assert firms.firm_ids_for(fresh(kiran_agent.user)) == frozenset()
    authorisation.refresh_from_db()
    assert authorisation.withdrawn_by == alice
    subjects = {m.to[0]: m.subject for m in mail_outbox}
    assert "has withdrawn your authorisation" in subjects["desk@kiran.example.com"]
    assert "You have withdrawn" in subjects[alice_firm(alice).email]
    assert {s.to for s in sms_outbox} == {"+919700000001", alice_firm(alice).mobile}
    with pytest.raises(AccountError, match="already been withdrawn"):
        agents.authorisation_withdraw(by=alice, authorisation_id=authorisation.pk)


# ---------------------------------------------------------------------------------------------
# The pages: the firm's Agents page and the agent's switcher
# ---------------------------------------------------------------------------------------------


def test_the_agents_page_grants_after_a_check_your_answers_step_and_withdraws_after_a_confirm(
    alice, kiran_agent, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(alice)
    today = timezone.localdate()
    form = {
        "licence_number": "CB/MUM/KIRAN",
        "start": today.isoformat(),
        "end": (today + timedelta(days=89)).isoformat(),
    }
    response = client.post(reverse("accounts:firm-agents"), form)
    assert response["Location"] == reverse("accounts:firm-agents-check")
    assert not AgentAuthorisation.objects.exists()  # nothing until confirmed
    check = client.get(reverse("accounts:firm-agents-check")).content.decode()
    assert "Kiran Logistics" in check
    assert "Check your answers" in check
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:firm-agents-check"), follow=True)
    page = response.content.decode()
    assert "Kiran Logistics may file for your IEC" in page
    told = "We have told Kiran Logistics by email and SMS, and your firm by email and SMS."
    assert told in page
    authorisation = AgentAuthorisation.objects.get()
    assert f"/firm/agents/{authorisation.pk}/withdraw/" in page

    withdraw_url = reverse("accounts:firm-agent-withdraw", args=[authorisation.pk])
    assert "Withdraw the authorisation" in client.get(withdraw_url).content.decode()
    assert AgentAuthorisation.objects.get().withdrawn_at is None  # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(withdraw_url, follow=True).content.decode()
    assert "can no longer file for your IEC" in page
    assert told in page
    assert "Past authorisations" in page
    assert AgentAuthorisation.objects.get().withdrawn_at is not None


def test_the_agents_page_refuses_an_unknown_licence_and_a_too_long_period(alice):
    client = Client()
    client.force_login(alice)
    today = timezone.localdate()
    response = client.post(
        reverse("accounts:firm-agents"),
        {"licence_number": "CB/NONE/0000", "start": today, "end": today + timedelta(days=400)},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 366 days" in page
    response = client.post(
        reverse("accounts:firm-agents"),
        {"licence_number": "CB/NONE/0000", "start": today, "end": today},
    )
    assert "No registered agent has this licence number." in response.content.decode()


def test_bobs_administrator_cannot_withdraw_alices_authorisation_from_the_page(
    alice, bob, kiran_agent
):
    authorisation = grant(alice)
    client = Client()
    client.force_login(bob)
    url = reverse("accounts:firm-agent-withdraw", args=[authorisation.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert AgentAuthorisation.objects.get().withdrawn_at is None


def test_a_preparer_gets_no_agents_page(alice):
    preparer = factories.FirmMemberFactory(firm=alice_firm(alice), role="preparer").user
    client = Client()
    client.force_login(preparer)
    assert client.get(reverse("accounts:firm-agents")).status_code == 404


def test_the_switcher_offers_only_the_firms_that_authorise_the_agent_now(alice, bob):
    kiran = kiran_logistics(alice_firm(alice), alice).user
    bob_firm = bob.exporter_profile.iec_record
    client = Client()
    client.force_login(kiran)
    page = client.get(reverse("accounts:acting-for")).content.decode()
    assert "Alice Exports" in page
    assert "Bob Traders" not in page
    response = client.post(reverse("accounts:acting-for"), {"firm": bob_firm.pk})
    assert response.status_code == 200
    assert firms.ACTING_FIRM_SESSION_KEY not in client.session
    response = client.post(reverse("accounts:acting-for"), {"firm": alice_firm(alice).pk})
    assert response["Location"] == reverse("applications:list")
    assert client.session[firms.ACTING_FIRM_SESSION_KEY] == alice_firm(alice).pk
    header = client.get(reverse("applications:list")).content.decode()
    assert "You are filing for <strong>Alice Exports</strong> (IEC 0123456789)" in header


def test_an_agent_for_two_firms_chooses_the_iec_before_starting_an_application(alice, bob):
    kiran_staff = kiran_logistics(alice_firm(alice), alice)
    AgentAuthorisationFactory(
        firm=bob.exporter_profile.iec_record, agent=kiran_staff.agent, granted_by=bob
    )
    client = Client()
    client.force_login(kiran_staff.user)
    client.post(reverse("accounts:acting-for"), {"firm": alice_firm(alice).pk})
    # The start form asks which firm, every time: neither is chosen for them, not even the
    # one chosen in the switcher.
    page = client.get(reverse("applications:new")).content.decode()
    assert "Which firm are you filing for?" in page
    assert f'value="{alice_firm(alice).pk}"' in page
    assert f'value="{bob.exporter_profile.iec_record.pk}"' in page
    assert 'name="firm" value' in page
    assert "checked" not in page.split("Type of certificate")[0]


# ---------------------------------------------------------------------------------------------
# Platform staff suspend an agent in the admin; an agency administrator cannot
# ---------------------------------------------------------------------------------------------


def test_platform_staff_suspend_an_agent_and_its_staff_act_for_no_firm_at_once(alice, ada):
    staff = kiran_logistics(alice_firm(alice), alice)
    root = factories.UserFactory(username="root", role="operator", is_staff=True, is_superuser=True)
    agent = staff.agent
    change = reverse("admin:accounts_agent_change", args=[agent.pk])
    assert verified_client(ada).get(change).status_code == 403
    response = verified_client(root).post(
        change,
        {
            "name": agent.name,
            "kind": agent.kind,
            "licence_number": agent.licence_number,
            "pan": agent.pan,
            "email": agent.email,
            "mobile": agent.mobile,
            "status": "suspended",
        },
    )
    assert response.status_code == 302
    assert firms.firm_ids_for(fresh(staff.user)) == frozenset()
    assert not firms.files_for_firms(fresh(staff.user))
    authorisation = reverse(
        "admin:accounts_agentauthorisation_change", args=[agent.authorisations.get().pk]
    )
    assert verified_client(root).post(authorisation, {}).status_code == 403  # read only
