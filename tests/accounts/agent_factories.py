"""Agents, their staff and firms' authorisations of them, for the tests."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import Agent, AgentAuthorisation, AgentStaff
from tests import factories as base


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent
        django_get_or_create = ("licence_number",)

    name = factory.Sequence(lambda n: f"Agent {n} Logistics")
    kind = Agent.Kind.CUSTOMS_BROKER
    licence_number = factory.Sequence(lambda n: f"CB/MUM/{n:04d}")
    pan = factory.Sequence(lambda n: f"AAKCK{n % 10000:04d}L")
    email = factory.Sequence(lambda n: f"desk{n}@agent.example.com")
    mobile = factory.Sequence(lambda n: f"+9197{n % 100000000:08d}")
    status = Agent.Status.ACTIVE


class AgentStaffFactory(factory.django.DjangoModelFactory):
    """A registered agent's staff member: `AgentStaffFactory(user__username="kiran")`."""

    class Meta:
        model = AgentStaff

    agent = factory.SubFactory(AgentFactory)
    user = factory.SubFactory(
        base.UserFactory, role="agent", username=factory.Sequence(lambda n: f"agentstaff{n}")
    )
    is_administrator = True
    email_verified_at = factory.LazyFunction(timezone.now)
    mobile_verified_at = factory.SelfAttribute("email_verified_at")
    registration_completed_at = factory.SelfAttribute("email_verified_at")


class AgentAuthorisationFactory(factory.django.DjangoModelFactory):
    """In force now, for 30 days, granted by the firm's administrator `granted_by`."""

    class Meta:
        model = AgentAuthorisation

    firm = factory.SubFactory(base.IECRecordFactory)
    agent = factory.SubFactory(AgentFactory)
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    valid_until = factory.LazyAttribute(lambda o: o.valid_from + timedelta(days=30))
    granted_by = factory.SubFactory(base.ExporterFactory)


def kiran_logistics(firm, granted_by) -> AgentStaff:
    """Kiran, staff of "Kiran Logistics", which `firm` authorises now."""
    staff = AgentStaffFactory(
        agent__name="Kiran Logistics",
        agent__licence_number="CB/MUM/KIRAN",
        agent__email="desk@kiran.example.com",
        agent__mobile="+919700000001",
        user__username="kiran",
        user__first_name="Kiran",
        user__last_name="Rao",
        user__email="kiran@kiran.example.com",
        user__mobile="+919700000011",
    )
    AgentAuthorisationFactory(firm=firm, agent=staff.agent, granted_by=granted_by)
    return staff


def kurt_forwarding(firm, granted_by) -> AgentStaff:
    """Kurt, staff of "Kurt Forwarding", whose authorisation by `firm` ended yesterday."""
    staff = AgentStaffFactory(
        agent__name="Kurt Forwarding",
        agent__kind=Agent.Kind.FREIGHT_FORWARDER,
        agent__licence_number="FF/DEL/KURT",
        agent__email="desk@kurt.example.com",
        agent__mobile="+919700000002",
        user__username="kurt",
        user__first_name="Kurt",
        user__last_name="Mehta",
        user__email="kurt@kurt.example.com",
        user__mobile="+919700000012",
    )
    AgentAuthorisationFactory(
        firm=firm,
        agent=staff.agent,
        granted_by=granted_by,
        valid_from=timezone.now() - timedelta(days=40),
        valid_until=timezone.now() - timedelta(days=1),
    )
    return staff
