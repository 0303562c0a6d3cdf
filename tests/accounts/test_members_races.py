"""The firm keeps an administrator under real concurrency (PostgreSQL): two administrators
who demote, or remove, each other at the same moment: one wins, the other is refused."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts import members
from accounts.models import FirmMember, User
from tests import concurrency, factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            f"row-lock races need PostgreSQL (DATABASE_URL); this run uses {connection.vendor}"
        )


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
