"""The firm keeps an administrator under real concurrency (PostgreSQL): two administrators
who demote, or remove, each other at the same moment: one wins, the other is refused."""

from __future__ import annotations

import pytest

from accounts import members
from accounts.models import FirmMember, User
from tests import concurrency, factories
from tests.members_helpers import CODE_RE, PASSWORD

pytestmark = [
    pytest.mark.postgres,
    concurrency.needs_row_locks,
    pytest.mark.django_db(transaction=True),
]


def two_administrators(alice) -> tuple[FirmMember, FirmMember]:
    firm = alice.exporter_profile.iec_record
    abe = factories.FirmMemberFactory(firm=firm, role="administrator", user__username="abe")
    return FirmMember.objects.get(user=alice), abe


@pytest.mark.parametrize("act", ["demote", "remove"])
def test_two_administrators_acting_on_each_other_at_once_leave_one_administrator(alice, act):
    mine, abes = two_administrators(alice)
    pairs = iter([(mine.user_id, abes.pk), (abes.user_id, mine.pk)])

    def action():
        actor_id, target = next(pairs)
        actor = User.objects.get(pk=actor_id)  # a fresh object per thread
        if act == "demote":
            return members.member_role_change(actor=actor, member_id=target, role="preparer")
        return members.member_remove(actor=actor, member_id=target)

    outcomes = concurrency.run_together(2, action)
    refused = [o for o in outcomes if isinstance(o, members.MemberError)]
    assert len(refused) == 1, outcomes
    assert [o for o in outcomes if isinstance(o, Exception) and o not in refused] == []
    left = FirmMember.objects.filter(
        firm=mine.firm, role="administrator", removed_at__isnull=True, user__is_active=True
    )
    assert left.count() == 1


def test_two_holders_of_an_invitation_verifying_at_once_make_one_member(alice, sms_outbox):
    """A forwarded invitation link: two holders give their details, then both enter their
    right codes at the same moment. One claims the invitation; the other is refused."""
    invited = members.member_invite(
        actor=alice,
        firm_id=alice.exporter_profile.iec_record_id,
        email="priya@alice.example",
        name="Priya",
        role="administrator",
    )
    invitation = invited.invitation
    holders = []
    for username, mobile in [("priya", "9820012345"), ("mallory", "9820099876")]:
        user = members.invitation_accept_start(
            invitation_id=invitation.pk,
            token_sha256=invitation.token_sha256,
            username=username,
            password=PASSWORD,
            mobile=mobile,
        )
        holders.append((user.pk, CODE_RE.search(sms_outbox[-1].body).group(1)))
    turns = iter(holders)

    def action():
        user_id, code = next(turns)
        return members.invitation_accept(
            invitation_id=invitation.pk,
            token_sha256=invitation.token_sha256,
            attempt_user_id=user_id,
            code=code,
        )

    outcomes = concurrency.run_together(2, action)
    refused = [o for o in outcomes if isinstance(o, members.InvitationClaimedError)]
    assert len(refused) == 1, outcomes
    assert len([o for o in outcomes if o is members.OTPResult.OK]) == 1, outcomes
    joined = FirmMember.objects.filter(firm_id=invitation.firm_id).exclude(user=alice)
    assert joined.count() == 1
    assert User.objects.filter(username__in=["priya", "mallory"]).count() == 1
