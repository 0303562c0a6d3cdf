"""accounts.permissions, persona by persona: who is an officer of which agency, who passed the
second factor, who administers an agency, who may revoke."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser, Permission
from django.test import RequestFactory

from accounts import permissions
from accounts.admin_scope import agency_id_of
from tests import factories


@pytest.fixture
def people(alice, olivia, oscar, ada, eic):
    operator = factories.UserFactory(username="root", is_superuser=True, is_staff=True)
    return {
        "exporter": alice,
        "officer": olivia,
        "foreign_officer": oscar,
        "agency_admin": ada,
        "superuser": operator,
        "anonymous": AnonymousUser(),
    }


def verified(user):
    user.is_verified = lambda: True
    return user


def test_officers_and_administrators_are_officers_of_their_own_agency_only(people, eic, fieo):
    answers = {p: permissions.is_agency_officer(u, eic.pk) for p, u in people.items()}
    assert answers == {
        "exporter": False,
        "officer": True,
        "foreign_officer": False,
        "agency_admin": True,
        "superuser": False,
        "anonymous": False,
    }
    assert permissions.is_agency_officer(people["foreign_officer"], fieo.pk)
    assert not permissions.is_agency_officer(people["officer"], None)
    assert permissions.officer_agency_id(people["officer"]) == eic.pk
    assert permissions.officer_agency_id(people["exporter"]) is None


def test_an_officer_without_the_second_factor_is_not_a_verified_officer(people, eic):
    olivia = people["officer"]
    assert permissions.is_officer(olivia)
    assert not permissions.has_second_factor(olivia)
    assert not permissions.is_verified_officer_of(olivia, eic.pk)
    verified(olivia)
    assert permissions.has_second_factor(olivia)
    assert permissions.is_verified_officer_of(olivia, eic.pk)
    assert not permissions.is_verified_officer_of(verified(people["foreign_officer"]), eic.pk)
    assert not permissions.is_verified_officer_of(verified(people["exporter"]), eic.pk)


def test_only_the_agencys_administrator_administers_it(people, eic, fieo):
    ada = people["agency_admin"]
    assert permissions.is_agency_admin(ada)
    assert permissions.is_agency_admin(ada, eic.pk)
    assert not permissions.is_agency_admin(ada, fieo.pk)
    others = [p for p, u in people.items() if permissions.is_agency_admin(u)]
    assert others == ["agency_admin"]
    assert permissions.admin_agency_id(ada) == eic.pk
    assert permissions.admin_agency_id(people["officer"]) is None
    assert permissions.admin_agency_id(people["superuser"]) is None
    request = RequestFactory().get("/admin/")
    request.user = ada
    assert agency_id_of(request) == eic.pk


def test_revocation_is_for_the_agencys_administrator_permitted_officers_and_superusers(
    people, eic, fieo
):
    answers = {p: permissions.may_revoke(u, eic.pk) for p, u in people.items()}
    assert answers == {
        "exporter": False,
        "officer": False,
        "foreign_officer": False,
        "agency_admin": True,
        "superuser": True,
        "anonymous": False,
    }
    assert not permissions.may_revoke(people["agency_admin"], fieo.pk)
    olivia = people["officer"]
    olivia.user_permissions.add(Permission.objects.get(codename="revoke_certificate"))
    olivia = type(olivia).objects.get(pk=olivia.pk)  # permissions are cached per instance
    assert permissions.may_revoke(olivia, eic.pk)
    assert not permissions.may_revoke(olivia, fieo.pk)


def test_platform_staff_are_superusers_and_operators_never_agency_staff(people):
    operator = factories.UserFactory(username="op", role="operator", is_staff=True)
    assert permissions.is_platform_staff(operator)
    assert permissions.is_platform_staff(people["superuser"])
    assert not permissions.is_platform_staff(people["agency_admin"])
    assert not permissions.is_platform_staff(people["anonymous"])
    assert not permissions.may_manage_exporter_accounts(operator)
    operator.user_permissions.add(Permission.objects.get(codename="manage_exporter_accounts"))
    operator = type(operator).objects.get(pk=operator.pk)
    assert permissions.may_manage_exporter_accounts(operator)
    assert permissions.may_manage_exporter_accounts(people["superuser"])
    assert not permissions.may_manage_exporter_accounts(people["agency_admin"])


def test_an_operator_is_platform_staff_only_while_active_and_marked_staff(db):
    not_staff = factories.UserFactory(username="op1", role="operator", is_staff=False)
    inactive = factories.UserFactory(
        username="op2", role="operator", is_staff=True, is_active=False
    )
    assert not permissions.is_platform_staff(not_staff)
    assert not permissions.is_platform_staff(inactive)


def test_no_user_and_users_without_officer_attributes_are_not_officers(eic):
    # Every rule takes anything with a user's attributes (the API's token users, tests' stand-ins):
    # one that is signed in but says nothing about being an officer is not one.
    signed_in = SimpleNamespace(is_authenticated=True, is_superuser=False)
    assert not permissions.is_officer(signed_in)
    assert permissions.officer_agency_id(signed_in) is None
    assert not permissions.may_revoke(None, eic.pk)
    assert not permissions.is_officer(None)


def test_an_officer_without_an_agency_profile_works_for_no_agency(eic):
    loose = factories.UserFactory(username="loose", role="officer")
    assert permissions.is_officer(loose)
    assert permissions.officer_agency_id(loose) is None
    assert not permissions.is_agency_officer(loose, eic.pk)
