"""An invitation link that reaches two people (a forwarded email): each holder's answers are
their own, the first whose SMS code is right claims the invitation, the other is refused with a
true message, and the inviting administrator is told who joined with which mobile (masked)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import FirmInvitation, FirmMember, InvitationAttempt, User
from tests.members_helpers import CODE_RE, details, invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def give_details(link: str, *, username: str, mobile: str, sms_outbox: list, capture):
    """A holder opens the link and gives their details; their browser and their SMS code."""
    holder = Client()
    opened = holder.get(link)
    assert opened["Location"] == reverse("accounts:invitation-details")
    with capture(execute=True):
        given = holder.post(opened["Location"], details(username=username, mobile=mobile))
    assert given["Location"] == reverse("accounts:invitation-otp"), given.content.decode()[:2000]
    assert sms_outbox[-1].to == f"+91{mobile}"
    return holder, CODE_RE.search(sms_outbox[-1].body).group(1)


def test_a_second_holder_cannot_take_over_the_invitees_answers_and_the_first_to_verify_joins(
    admin, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(
        admin, name="Priya Nair", email="priya@alice.example", role="preparer", capture=capture
    )
    priya, priya_code = give_details(
        link, username="priya", mobile="9820012345", sms_outbox=sms_outbox, capture=capture
    )
    # Someone the email was forwarded to gives their own details after her.
    mallory, mallory_code = give_details(
        link, username="mallory", mobile="9820099876", sms_outbox=sms_outbox, capture=capture
    )
    # Priya's code still works (before, Mallory's answers replaced hers and her code died).
    with capture(execute=True):
        done = priya.post(reverse("accounts:invitation-otp"), {"code": priya_code})
    assert done["Location"] == reverse("accounts:invitation-done"), done.content.decode()[:2000]
    joined = User.objects.get(username="priya")
    assert joined.is_active
    assert joined.mobile == "+919820012345"
    assert FirmMember.objects.get(user=joined).role == "preparer"

    # Mallory, second, is refused with the truth; no account of hers is left.
    with capture(execute=True):
        refused = mallory.post(reverse("accounts:invitation-otp"), {"code": mallory_code})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Someone else has already joined the firm with this invitation" in page
    assert not User.objects.filter(username="mallory").exists()
    assert FirmMember.objects.filter(firm__firm_name="Alice Exports").count() == 2  # alice, priya
    assert InvitationAttempt.objects.count() == 0
    # The administrator was told who joined, and with which mobile (masked).
    told = [m for m in mail_outbox if m.to == [alice.email] and "joined" in m.subject]
    assert len(told) == 1
    assert "priya" in told[0].body
    assert "******2345" in told[0].body
    assert "9820012345" not in told[0].body


def test_the_second_holder_verifying_first_claims_it_and_the_invitee_is_refused(
    admin, alice, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(admin, name="Sam", email="sam@alice.example", role="signatory", capture=capture)
    sam, sam_code = give_details(
        link, username="sam", mobile="9820054321", sms_outbox=sms_outbox, capture=capture
    )
    other, other_code = give_details(
        link, username="other", mobile="9820011111", sms_outbox=sms_outbox, capture=capture
    )
    with capture(execute=True):
        other.post(reverse("accounts:invitation-otp"), {"code": other_code})
    assert FirmMember.objects.get(user__username="other").role == "signatory"
    told = [m for m in mail_outbox if m.to == [alice.email] and "joined" in m.subject]
    assert "******1111" in told[-1].body  # the administrator can see it is not Sam's number
    # Sam's right code is refused, and he is told plainly why.
    page = sam.post(reverse("accounts:invitation-otp"), {"code": sam_code})
    assert page.status_code == 400
    assert "Someone else has already joined the firm with this invitation" in page.content.decode()
    invitation = FirmInvitation.objects.get(email="sam@alice.example")
    assert invitation.accepted_user.username == "other"


def test_the_same_holder_giving_details_again_replaces_only_their_own(
    admin, sms_outbox, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    link = invite(admin, name="Sam", email="sam@alice.example", role="preparer", capture=capture)
    sam, _ = give_details(
        link, username="sam", mobile="9820054321", sms_outbox=sms_outbox, capture=capture
    )
    with capture(execute=True):
        again = sam.post(
            reverse("accounts:invitation-details"), details(username="samr", mobile="9820054322")
        )
    assert again["Location"] == reverse("accounts:invitation-otp")
    assert list(InvitationAttempt.objects.values_list("user__username", flat=True)) == ["samr"]
    code = CODE_RE.search(sms_outbox[-1].body).group(1)
    with capture(execute=True):
        sam.post(reverse("accounts:invitation-otp"), {"code": code})
    assert User.objects.get(username="samr").is_active
