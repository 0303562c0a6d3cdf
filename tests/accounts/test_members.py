"""A firm's people: invitations (hashed, expiring, single-use links; username, password and a
mobile verified by SMS code), role changes and removal, each scoped to the administrator's own
firm, the last administrator protected, and what each one sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import enquiries, members
from accounts.models import FirmInvitation, FirmMember, SMSDevice, User
from applications.notifications import verified_mobile
from tests import factories
from tests.members_helpers import (
    CODE_RE,
    PASSWORD,
    accept,
    details,
    invite,
    invite_and_join,
    signed_in,
)

from .conftest import code_from_sms, link_from_mail, path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def firm_of(user: User):
    return FirmMember.objects.get(user=user).firm


def member(firm, role: str, username: str, **user) -> FirmMember:
    return factories.FirmMemberFactory(
        firm=firm,
        role=role,
        user__username=username,
        user__first_name=username.title(),
        user__mobile=user.pop("mobile", "+919820099999"),
        mobile_verified_at=timezone.now(),
        **{f"user__{k}": v for k, v in user.items()},
    )


# -- inviting and joining ------------------------------------------------------------------------


def test_the_invitation_says_who_invites_to_what_in_which_role(
    admin, alice, mail_outbox, django_capture_on_commit_callbacks
):
    """Issue 33: the firm's IEC account bears the firm's name; its invitation read "Alice
    Exports invites you to Alice Exports". It says who invites, to which firm, as what."""
    capture = django_capture_on_commit_callbacks
    link = invite(
        admin, name="Sam Iyer", email="sam@alice.example", role="signatory", capture=capture
    )
    sent = mail_outbox[-1]
    assert sent.subject == "Join Alice Exports on COO Portal as a signatory"
    body = " ".join(sent.body.split())
    assert (
        "An administrator of Alice Exports invites you to join the firm on COO Portal as a "
        "signatory, to work on its Certificate of Origin applications (IEC 0123456789)." in body
    )
    assert "Alice Exports invites you to Alice Exports" not in body
    page = Client().get(link, follow=True).content.decode()
    assert "An administrator of Alice Exports invites sam@alice.example to join the firm" in page

    # A named administrator is named.
    colleague = member(firm_of(alice), "administrator", "asha", last_name="Rao")
    other = Client()
    other.force_login(colleague.user)
    invite(other, name="Ravi", email="ravi@alice.example", role="preparer", capture=capture)
    body = " ".join(mail_outbox[-1].body.split())
    assert "Asha Rao, an administrator of Alice Exports, invites you to join the firm" in body
    assert "as a preparer" in body


def test_an_administrator_invites_and_the_invitee_joins_with_a_username_and_a_verified_mobile(
    admin, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(
        admin, name="Priya Nair", email="priya@alice.example", role="preparer", capture=capture
    )
    invitation = FirmInvitation.objects.get(email="priya@alice.example")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_sha256 == members.token_digest(token)  # only the digest is kept
    assert token not in str(FirmInvitation.objects.values())
    assert "Priya Nair" in mail_outbox[-1].body
    assert "Alice Exports" in mail_outbox[-1].body
    assert "preparer" in mail_outbox[-1].body
    assert sms_outbox == []  # the invitee's mobile is not known yet
    # The pending invitation is on the People page, with a way to cancel it.
    people = admin.get(reverse("accounts:members")).content.decode()
    assert "priya@alice.example" in people
    assert reverse("accounts:invitation-cancel", args=[invitation.pk]) in people

    accept(link, username="priya", mobile="9820012345", sms_outbox=sms_outbox, capture=capture)

    priya = User.objects.get(username="priya")
    membership = priya.firm_membership
    assert (membership.firm, membership.role) == (firm_of(alice), "preparer")
    assert membership.invited_by == alice
    assert membership.mobile_verified_at is not None
    assert priya.is_active
    assert priya.email == "priya@alice.example"
    assert priya.mobile == "+919820012345"
    assert verified_mobile(priya) == "+919820012345"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert invitation.accepted_user == priya
    assert [m.to for m in mail_outbox[-2:]] == [["priya@alice.example"], [alice.email]]
    assert "joined" in mail_outbox[-1].subject
    # She signs in with her username, and with her email, like any member.
    assert signed_in("priya").get(reverse("applications:list")).status_code == 200
    assert signed_in("priya@alice.example").get(reverse("accounts:profile")).status_code == 200


def test_the_invitation_link_works_once(
    admin, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(admin, name="Sam", email="sam@alice.example", role="signatory", capture=capture)
    accept(link, username="sam", mobile="9820054321", sms_outbox=sms_outbox, capture=capture)
    again = Client().get(link)
    assert again.status_code == 400
    assert "can no longer be used" in again.content.decode()


def test_an_expired_invitation_link_is_refused(admin, django_capture_on_commit_callbacks):
    link = invite(
        admin,
        name="Sam",
        email="sam@alice.example",
        role="signatory",
        capture=django_capture_on_commit_callbacks,
    )
    with time_machine.travel(timezone.now() + timedelta(days=members.INVITATION_DAYS, hours=1)):
        response = Client().get(link)
    assert response.status_code == 400
    assert "has expired" in response.content.decode()


def test_an_invitation_that_expires_midway_refuses_the_next_step(
    admin, sms_outbox, django_capture_on_commit_callbacks
):
    link = invite(
        admin,
        name="Sam",
        email="sam@alice.example",
        role="signatory",
        capture=django_capture_on_commit_callbacks,
    )
    invitee = Client()
    invitee.get(link)
    with time_machine.travel(timezone.now() + timedelta(days=members.INVITATION_DAYS, hours=1)):
        response = invitee.post(reverse("accounts:invitation-details"), details(username="sam"))
    assert response.status_code == 400
    assert not User.objects.filter(username="sam").exists()
    assert sms_outbox == []


@pytest.mark.parametrize("token", ["c0ffee-0123456789abcdef", "x" * 43])
def test_a_wrong_token_is_refused_and_opens_nothing(client, token):
    response = client.get(reverse("accounts:invitation-open", args=[token]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert client.get(reverse("accounts:invitation-details")).status_code == 400


def test_a_cancelled_invitation_link_dies_and_its_half_made_account_goes(
    admin, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(admin, name="Sam", email="sam@alice.example", role="signatory", capture=capture)
    invitee = Client()
    invitee.get(link)
    with capture(execute=True):
        invitee.post(reverse("accounts:invitation-details"), details(username="sam"))
    assert User.objects.filter(username="sam", is_active=False).exists()  # waiting for the code
    invitation = FirmInvitation.objects.get(email="sam@alice.example")

    with capture(execute=True):
        response = admin.post(reverse("accounts:invitation-cancel", args=[invitation.pk]))
    assert response["Location"] == reverse("accounts:members")
    assert mail.outbox[-1].to == ["sam@alice.example"]
    assert "cancelled" in mail.outbox[-1].subject
    sent = len(mail.outbox)
    with capture(execute=True):  # a second press: said plainly, nothing sent again
        again = admin.post(reverse("accounts:invitation-cancel", args=[invitation.pk]), follow=True)
    assert "was already cancelled" in again.content.decode()
    assert len(mail.outbox) == sent
    assert not User.objects.filter(username="sam").exists()
    code = CODE_RE.search(sms_outbox[-1].body).group(1)
    assert invitee.post(reverse("accounts:invitation-otp"), {"code": code}).status_code == 400
    assert Client().get(link).status_code == 400
    assert not FirmMember.objects.filter(user__username="sam").exists()


def test_a_wrong_code_makes_no_member_and_the_right_one_then_does(
    admin, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(admin, name="Sam", email="sam@alice.example", role="signatory", capture=capture)
    invitee = Client()
    invitee.get(link)
    with capture(execute=True):
        invitee.post(reverse("accounts:invitation-details"), details(username="sam"))
    code = code_from_sms(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    response = invitee.post(reverse("accounts:invitation-otp"), {"code": wrong})
    assert response.status_code == 422
    assert "not right" in response.content.decode()
    assert not FirmMember.objects.filter(user__username="sam").exists()
    assert not signed_in_possible("sam")
    with capture(execute=True):
        done = invitee.post(reverse("accounts:invitation-otp"), {"code": code})
    assert done["Location"] == reverse("accounts:invitation-done")
    assert SMSDevice.objects.get(user__username="sam", purpose="invitation").token is None


def signed_in_possible(username: str) -> bool:
    response = Client().post(
        reverse("accounts:login"),
        {"iec": username, "password": PASSWORD, "captcha_0": "x", "captcha_1": "PASSED"},
    )
    return response.status_code == 302


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("0123456789", "cannot look like an IEC"),
        ("abcde1234f", "cannot look like an IEC"),
        ("priya@x", "cannot contain @"),
        ("pr", "at least 3 characters"),
    ],
)
def test_the_invitee_username_is_not_an_iec_nor_an_email(
    admin, django_capture_on_commit_callbacks, username, message
):
    link = invite(
        admin,
        name="Priya",
        email="priya@alice.example",
        role="preparer",
        capture=django_capture_on_commit_callbacks,
    )
    invitee = Client()
    invitee.get(link)
    response = invitee.post(reverse("accounts:invitation-details"), details(username=username))
    assert response.status_code == 422
    assert message in response.content.decode()


def test_a_taken_username_and_a_weak_password_are_refused(
    admin, bob, django_capture_on_commit_callbacks
):
    factories.UserFactory(username="priya")
    link = invite(
        admin,
        name="Priya",
        email="priya@alice.example",
        role="preparer",
        capture=django_capture_on_commit_callbacks,
    )
    invitee = Client()
    invitee.get(link)
    taken = invitee.post(reverse("accounts:invitation-details"), details(username="Priya"))
    assert "This username is taken" in taken.content.decode()
    weak = invitee.post(
        reverse("accounts:invitation-details"),
        details(username="priya2", password1="password", password2="password"),
    )
    assert weak.status_code == 422
    assert "too common" in weak.content.decode()


def test_the_details_step_needs_the_captcha(admin, sms_outbox, django_capture_on_commit_callbacks):
    link = invite(
        admin,
        name="Priya",
        email="priya@alice.example",
        role="preparer",
        capture=django_capture_on_commit_callbacks,
    )
    invitee = Client()
    invitee.get(link)
    response = invitee.post(
        reverse("accounts:invitation-details"), details(username="priya", captcha_1="WRONG")
    )
    assert response.status_code == 422
    assert sms_outbox == []
    assert not User.objects.filter(username="priya").exists()


def test_an_address_that_already_has_an_account_cannot_be_invited(alice, bob):
    with pytest.raises(members.MemberError, match="already has an account"):
        members.member_invite(
            actor=alice,
            firm_id=firm_of(alice).pk,
            email=bob.email.upper(),
            name="B",
            role="preparer",
        )


def test_the_same_address_cannot_have_two_open_invitations_of_a_firm(alice):
    firm = firm_of(alice)
    members.member_invite(
        actor=alice, firm_id=firm.pk, email="x@a.example", name="X", role="preparer"
    )
    with pytest.raises(members.MemberError, match="already has an invitation"):
        members.member_invite(
            actor=alice, firm_id=firm.pk, email="X@a.example", name="X", role="preparer"
        )


# -- who may manage ------------------------------------------------------------------------------


def test_only_an_administrator_sees_and_uses_the_people_pages(alice):
    firm = firm_of(alice)
    for role in ("preparer", "signatory"):
        person = member(firm, role, f"{role}1").user
        client = Client()
        client.force_login(person)
        assert client.get(reverse("accounts:members")).status_code == 403
        assert client.post(reverse("accounts:member-invite"), {}).status_code == 403
        assert "People" not in client.get(reverse("applications:list")).content.decode()
        with pytest.raises(members.MemberError, match="Only an administrator"):
            members.member_invite(
                actor=person, firm_id=firm.pk, email="z@z.example", name="Z", role="preparer"
            )
    admin = Client()
    admin.force_login(alice)
    assert 'href="/accounts/people/"' in admin.get(reverse("applications:list")).content.decode()


def test_another_firms_administrator_cannot_touch_alices_people(alice, bob):
    firm = firm_of(alice)
    priya = member(firm, "preparer", "priya")
    invited = members.member_invite(
        actor=alice, firm_id=firm.pk, email="sam@alice.example", name="Sam", role="signatory"
    )
    client = Client()
    client.force_login(bob)
    for name in ("accounts:member-role", "accounts:member-remove"):
        assert client.get(reverse(name, args=[priya.pk])).status_code == 404
        assert (
            client.post(reverse(name, args=[priya.pk]), {"role": "administrator"}).status_code
            == 404
        )
    cancel = reverse("accounts:invitation-cancel", args=[invited.invitation.pk])
    assert client.post(cancel).status_code == 404
    assert "priya" not in client.get(reverse("accounts:members")).content.decode()
    for call in (
        lambda: members.member_role_change(actor=bob, member_id=priya.pk, role="administrator"),
        lambda: members.member_remove(actor=bob, member_id=priya.pk),
        lambda: members.invitation_cancel(actor=bob, invitation_id=invited.invitation.pk),
        lambda: members.member_invite(
            actor=bob, firm_id=firm.pk, email="q@q.example", name="Q", role="preparer"
        ),
    ):
        with pytest.raises(members.MemberError):
            call()
    priya.refresh_from_db()
    assert priya.role == "preparer"
    assert priya.removed_at is None
    assert FirmInvitation.objects.get(pk=invited.invitation.pk).cancelled_at is None


# -- roles ---------------------------------------------------------------------------------------


def test_a_role_change_is_told_by_email_and_sms(
    admin, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    priya = member(firm_of(alice), "preparer", "priya", mobile="+919820012345")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse("accounts:member-role", args=[priya.pk]), {"role": "signatory"}
        )
    assert response["Location"] == reverse("accounts:members")
    priya.refresh_from_db()
    assert priya.role == "signatory"
    assert mail_outbox[-1].to == [priya.user.email]
    assert "signatory" in mail_outbox[-1].subject
    assert sms_outbox[-1].to == "+919820012345"
    assert "signatory" in sms_outbox[-1].body
    page = admin.get(reverse("accounts:members")).content.decode()
    assert "is now signatory. We have told them by email and SMS." in page


def test_the_last_administrator_can_neither_step_down_nor_be_removed(admin, alice):
    me = FirmMember.objects.get(user=alice)
    response = admin.post(reverse("accounts:member-role", args=[me.pk]), {"role": "preparer"})
    assert response.status_code == 422
    assert "at least one administrator" in response.content.decode()
    with pytest.raises(members.MemberError, match="at least one administrator"):
        members.member_remove(actor=alice, member_id=me.pk)
    me.refresh_from_db()
    assert me.role == "administrator"
    assert me.removed_at is None
    # With a second administrator (Abe), Alice may step down.
    member(firm_of(alice), "administrator", "abe")
    response = admin.post(reverse("accounts:member-role", args=[me.pk]), {"role": "signatory"})
    assert response["Location"] == reverse("applications:list")  # People is no longer hers
    me.refresh_from_db()
    assert me.role == "signatory"
    assert admin.get(reverse("accounts:members")).status_code == 403


def test_a_removed_administrator_does_not_count_as_the_other_one(alice):
    abe = member(firm_of(alice), "administrator", "abe")
    members.member_remove(actor=alice, member_id=abe.pk)
    me = FirmMember.objects.get(user=alice)
    with pytest.raises(members.MemberError, match="at least one administrator"):
        members.member_role_change(actor=alice, member_id=me.pk, role="preparer")


# -- removal -------------------------------------------------------------------------------------


def test_removal_has_a_check_step_then_ends_the_members_session_at_once(
    admin, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    priya = member(firm_of(alice), "preparer", "priya", mobile="+919820012345")
    priya.user.set_password(PASSWORD)
    priya.user.save()
    session = signed_in("priya")
    assert session.get(reverse("applications:list")).status_code == 200

    check = admin.get(reverse("accounts:member-remove", args=[priya.pk]))
    assert check.status_code == 200
    assert "signed out at once" in check.content.decode()
    assert FirmMember.objects.get(pk=priya.pk).removed_at is None  # the check step changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("accounts:member-remove", args=[priya.pk]))
    assert response["Location"] == reverse("accounts:members")
    priya.refresh_from_db()
    assert priya.removed_at is not None
    assert priya.removed_by == alice
    assert not priya.user.is_active
    assert mail_outbox[-1].to == [priya.user.email]
    assert "removed" in mail_outbox[-1].subject
    assert sms_outbox[-1].to == "+919820012345"
    assert "removed you" in sms_outbox[-1].body

    # Her open session is refused on its very next request, and she cannot sign in again.
    refused = session.get(reverse("applications:list"))
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in session.session
    assert not signed_in_possible("priya")
    assert "priya" not in admin.get(reverse("accounts:members")).content.decode()


def test_a_removed_members_address_may_be_invited_again(alice):
    firm = firm_of(alice)
    priya = member(firm, "preparer", "priya", email="priya@alice.example")
    members.member_remove(actor=alice, member_id=priya.pk)
    invited = members.member_invite(
        actor=alice, firm_id=firm.pk, email="priya@alice.example", name="Priya", role="preparer"
    )
    assert invited.invitation.pk


# -- password reset and profile for members ------------------------------------------------------


def test_a_member_resets_the_password_by_username_with_the_code_sent_to_their_mobile(
    alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    priya = member(firm_of(alice), "preparer", "priya", mobile="+919820012345")
    client = Client()
    with capture(execute=True):
        response = client.post(
            reverse("accounts:password-reset"),
            {"iec": "priya", "captcha_0": "x", "captcha_1": "PASSED"},
        )
    assert response["Location"] == reverse("accounts:password-reset-sent")
    assert mail_outbox[-1].to == [priya.user.email]
    assert "username priya" in mail_outbox[-1].body
    with capture(execute=True):
        client.get(path_of(link_from_mail()))
    assert sms_outbox[-1].to == "+919820012345"
    new = "Quay-Lantern-9931-z"
    with capture(execute=True):
        done = client.post(
            reverse("accounts:password-reset-otp"),
            {"code": code_from_sms(sms_outbox), "password1": new, "password2": new},
        )
    assert done["Location"] == reverse("accounts:password-reset-complete")
    assert signed_in("priya", new).get(reverse("applications:list")).status_code == 200


def test_a_reset_reaches_a_member_by_email_but_never_a_removed_one(
    alice, mail_outbox, django_capture_on_commit_callbacks
):
    priya = member(firm_of(alice), "preparer", "priya", email="priya@alice.example")
    with django_capture_on_commit_callbacks(execute=True):
        enquiries.password_reset_request_task.delay("PRIYA@alice.example")
    assert mail_outbox[-1].to == ["priya@alice.example"]
    members.member_remove(actor=alice, member_id=priya.pk)
    count = len(mail_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        enquiries.password_reset_request_task.delay("priya")
        enquiries.password_reset_request_task.delay("priya@alice.example")
    assert len(mail_outbox) == count


def test_the_profile_page_shows_a_members_firm_and_role(alice):
    priya = member(firm_of(alice), "preparer", "priya")
    client = Client()
    client.force_login(priya.user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Alice Exports" in page
    assert "0123456789" in page
    assert "Preparer" in page
    assert "priya" in page


def test_a_members_mobile_counts_as_verified_only_once_the_code_verified_it(alice):
    priya = member(firm_of(alice), "preparer", "priya", mobile="+919820012345")
    assert verified_mobile(priya.user) == "+919820012345"
    FirmMember.objects.filter(pk=priya.pk).update(mobile_verified_at=None)
    assert verified_mobile(User.objects.get(pk=priya.user_id)) == ""


def test_invite_and_join_helper_round_trip(
    admin, alice, sms_outbox, django_capture_on_commit_callbacks
):
    sam = invite_and_join(
        admin,
        name="Sam Iyer",
        email="sam@alice.example",
        role="signatory",
        username="sam",
        mobile="9820054321",
        sms_outbox=sms_outbox,
        capture=django_capture_on_commit_callbacks,
    )
    assert sam.firm_membership.role == "signatory"


def test_a_locked_member_lifts_the_lock_by_resetting_the_password(
    alice, sms_outbox, django_capture_on_commit_callbacks, settings
):
    capture = django_capture_on_commit_callbacks
    priya = member(firm_of(alice), "preparer", "priya", mobile="+919820012345")
    priya.user.set_password(PASSWORD)
    priya.user.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post(
            reverse("accounts:login"),
            {"iec": "priya", "password": "wrong", "captcha_0": "x", "captcha_1": "PASSED"},
        )
    locked = Client().post(
        reverse("accounts:login"),
        {"iec": "priya", "password": PASSWORD, "captcha_0": "x", "captcha_1": "PASSED"},
    )
    assert locked.status_code == 429  # the same lock as an IEC's
    client = Client()
    with capture(execute=True):
        client.post(
            reverse("accounts:password-reset"),
            {"iec": "priya", "captcha_0": "x", "captcha_1": "PASSED"},
        )
    with capture(execute=True):
        client.get(path_of(link_from_mail()))
    new = "Quay-Lantern-9931-z"
    with capture(execute=True):
        client.post(
            reverse("accounts:password-reset-otp"),
            {"code": code_from_sms(sms_outbox), "password1": new, "password2": new},
        )
    assert signed_in("priya", new).get(reverse("applications:list")).status_code == 200


def test_the_people_page_costs_the_same_queries_for_two_members_or_twelve(admin, alice):
    firm = firm_of(alice)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin.get(reverse("accounts:members")).status_code == 200
        return len(queries)

    member(firm, "preparer", "m0")
    few = count()
    for n in range(1, 11):
        member(firm, "signatory", f"m{n}")
        members.member_invite(
            actor=alice, firm_id=firm.pk, email=f"i{n}@a.example", name=f"I {n}", role="preparer"
        )
    assert count() == few


def test_the_demo_seed_gives_the_demo_firm_a_preparer_and_a_signatory(capsys):
    from django.core.management import call_command

    call_command("seed_demo")
    call_command("seed_demo")  # idempotent
    roles = dict(
        FirmMember.objects.filter(firm__iec="0123456789").values_list("user__username", "role")
    )
    assert roles == {"0123456789": "administrator", "priya": "preparer", "sam": "signatory"}
    assert verified_mobile(User.objects.get(username="sam")) == "+919820054321"
    assert "username priya (preparer) or sam (signatory)" in capsys.readouterr().out


def test_an_administrator_demoted_meanwhile_changes_nobody(alice):
    """The request read Alice's access before another administrator demoted her: under the
    firm's lock the role is read again, and her change is refused."""
    from accounts import firms

    firm = firm_of(alice)
    member(firm, "administrator", "abe")
    priya = member(firm, "preparer", "priya")
    assert firms.may(alice, firm.pk, firms.Capability.MANAGE)  # read once, kept on `alice`
    FirmMember.objects.filter(user=alice).update(role="preparer")  # Abe demotes her
    for act in (
        lambda: members.member_role_change(actor=alice, member_id=priya.pk, role="signatory"),
        lambda: members.member_remove(actor=alice, member_id=priya.pk),
    ):
        with pytest.raises(members.MemberError):
            act()
    priya.refresh_from_db()
    assert (priya.role, priya.removed_at) == ("preparer", None)
