"""The transitions table, cell by cell: for every status, action and persona, the answer of
`workflow.allowed()` is the one written out here; the services refuse what it refuses and do
what it allows; the pages show a button exactly when it is allowed.

The expected table is typed out by hand (not derived from the code): narrowing or widening any
rule (withdraw only from drafts, release hidden for good, reassign for any officer) fails here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from applications import services, workflow
from applications.models import Application, ApplicationEvent, Status
from applications.workflow import Action
from review import services as review_services
from tests import factories
from tests.clients import exporter_client, verified_client
from tests.officer.factories import submitted_application

PERSONAS = (
    "owner",  # Alice, who filed it
    "other_exporter",  # Bob
    "assigned_officer",  # Olivia (EIC), who holds it (in every status but a draft)
    "colleague",  # Otto, another EIC officer
    "foreign_officer",  # Oscar, of FIEO
    "agency_admin",  # Ada, EIC's administrator
    "anonymous",
    "system",  # no user at all: certificate issuance
)

A = Action
# status -> {action: personas allowed}; every cell not listed is refused. The application is
# one an agency certifies, so SELF_DECLARE is refused everywhere (tests/certificates/
# test_self_declaration.py: the other route, where SUBMIT is refused and SELF_DECLARE allowed).
EXPECTED: dict[Status, dict[Action, set[str]]] = {
    Status.DRAFT: {
        A.EDIT: {"owner"},
        A.SUBMIT: {"owner"},
        A.WITHDRAW: {"owner"},
    },
    Status.SUBMITTED: {
        A.WITHDRAW: {"owner"},
        A.START_REVIEW: {"assigned_officer"},  # held by Olivia: nobody else may take it
        A.REASSIGN: {"agency_admin"},
    },
    Status.UNDER_REVIEW: {
        A.RELEASE: {"assigned_officer"},
        A.APPROVE: {"assigned_officer"},
        A.REJECT: {"assigned_officer"},
        A.CLARIFY: {"assigned_officer"},
        A.REASSIGN: {"agency_admin"},
    },
    Status.CLARIFICATION_REQUESTED: {
        A.EDIT: {"owner"},
        A.RESUBMIT: {"owner"},
        A.WITHDRAW: {"owner"},
        A.REASSIGN: {"agency_admin"},
    },
    Status.APPROVED: {A.MARK_ISSUED: {"system"}},
    Status.REJECTED: {},
    Status.ISSUED: {},
    Status.WITHDRAWN: {},
}


def test_the_expected_table_names_every_status_and_action():
    assert set(EXPECTED) == set(Status)
    assert set(workflow.TRANSITIONS) == set(Action)


@pytest.fixture
def otto(eic_mumbai):
    return factories.OfficerFactory(
        username="otto",
        first_name="Otto",
        last_name="Pai",
        officer_profile__agency=eic_mumbai.agency,
        officer_profile__office=eic_mumbai,
    )


@pytest.fixture
def people(alice, bob, olivia, otto, oscar, ada) -> dict[str, Any]:
    return {
        "owner": alice,
        "other_exporter": bob,
        "assigned_officer": olivia,
        "colleague": otto,
        "foreign_officer": oscar,
        "agency_admin": ada,
        "anonymous": AnonymousUser(),
        "system": None,
    }


def application_in(status: Status, alice: User, olivia: User, office: Any) -> Application:
    return submitted_application(
        exporter=alice,
        office=office,
        status=status,
        assigned_officer=None if status == Status.DRAFT else olivia,
    )


@pytest.mark.parametrize("status", list(Status))
def test_allowed_answers_every_cell_as_the_table_says(status, people, eic_mumbai):
    application = application_in(status, people["owner"], people["assigned_officer"], eic_mumbai)
    wrong = []
    for action in Action:
        for persona in PERSONAS:
            expected = persona in EXPECTED[status].get(action, set())
            answer = workflow.allowed(application, action, people[persona])
            if answer != expected:
                wrong.append((action.value, persona, answer))
    assert wrong == []
    # Not a vacuous table: something is allowed wherever the status is not final.
    assert any(workflow.allowed(application, a, people[p]) for a in Action for p in PERSONAS) == (
        status in workflow.UNFINISHED
    )


def test_an_unassigned_submitted_application_may_be_taken_by_any_officer_of_the_agency(
    people, eic_mumbai
):
    application = submitted_application(exporter=people["owner"], office=eic_mumbai)
    assert application.assigned_officer_id is None
    takers = {p for p in PERSONAS if workflow.allowed(application, A.START_REVIEW, people[p])}
    assert takers == {"assigned_officer", "colleague", "agency_admin"}


def test_final_statuses_are_the_ones_nothing_leads_out_of():
    assert {
        Status.DRAFT,
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        Status.CLARIFICATION_REQUESTED,
        Status.APPROVED,
    } == workflow.UNFINISHED


# -- the services follow the same table ---------------------------------------------------------

# The natural actor of each action, and the call that does it.
SERVICE: dict[Action, tuple[str, Callable[[Application, Any, dict[str, Any]], Any]]] = {
    A.EDIT: (
        "owner",
        lambda a, u, p: services.application_update(
            application_id=a.pk, exporter=u, data={"remarks": "Changed"}
        ),
    ),
    A.SUBMIT: (
        "owner",
        lambda a, u, p: workflow.application_submit(application_id=a.pk, exporter=u),
    ),
    A.RESUBMIT: (
        "owner",
        lambda a, u, p: workflow.application_resubmit(
            application_id=a.pk, exporter=u, reply="Signed invoice uploaded"
        ),
    ),
    A.WITHDRAW: (
        "owner",
        lambda a, u, p: workflow.application_withdraw(application_id=a.pk, exporter=u),
    ),
    A.SELF_DECLARE: (
        "owner",
        lambda a, u, p: workflow.application_self_declare(application_id=a.pk, exporter=u),
    ),
    A.START_REVIEW: (
        "assigned_officer",
        lambda a, u, p: workflow.application_start_review(application_id=a.pk, officer=u),
    ),
    A.RELEASE: (
        "assigned_officer",
        lambda a, u, p: workflow.application_release(application_id=a.pk, officer=u),
    ),
    A.REASSIGN: (
        "agency_admin",
        lambda a, u, p: workflow.application_reassign(
            application_id=a.pk, admin=u, to_officer=p["colleague"]
        ),
    ),
    A.APPROVE: (
        "assigned_officer",
        lambda a, u, p: review_services.application_approve(application_id=a.pk, officer=u),
    ),
    A.REJECT: (
        "assigned_officer",
        lambda a, u, p: workflow.application_reject(
            application_id=a.pk, officer=u, reason="Wrong HS code"
        ),
    ),
    A.CLARIFY: (
        "assigned_officer",
        lambda a, u, p: workflow.application_request_clarification(
            application_id=a.pk, officer=u, message="Upload the signed invoice"
        ),
    ),
    A.MARK_ISSUED: (
        "system",
        lambda a, u, p: workflow.application_mark_issued(application_id=a.pk),
    ),
}


def snapshot(application: Application) -> tuple[Any, ...]:
    application.refresh_from_db()
    return (
        application.status,
        application.assigned_officer_id,
        application.remarks,
        ApplicationEvent.objects.filter(application=application).count(),
    )


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(Status))
def test_each_service_does_exactly_what_the_table_allows(status, action, people, eic_mumbai):
    application = application_in(status, people["owner"], people["assigned_officer"], eic_mumbai)
    persona, call = SERVICE[action]
    before = snapshot(application)
    if persona in EXPECTED[status].get(action, set()):
        call(application, people[persona], people)
        assert snapshot(application) != before
    else:
        with pytest.raises(workflow.WorkflowError):
            call(application, people[persona], people)
        assert snapshot(application) == before


@pytest.mark.parametrize(
    ("action", "intruder"),
    [
        (A.WITHDRAW, "other_exporter"),
        (A.START_REVIEW, "foreign_officer"),
        (A.APPROVE, "colleague"),
        (A.REASSIGN, "assigned_officer"),
    ],
)
def test_a_service_refuses_the_wrong_persona_where_the_right_one_may_act(
    action, intruder, people, eic_mumbai
):
    status = next(s for s, cells in EXPECTED.items() if cells.get(action))
    application = application_in(status, people["owner"], people["assigned_officer"], eic_mumbai)
    assert workflow.allowed(application, action, people[SERVICE[action][0]])
    before = snapshot(application)
    with pytest.raises(workflow.WorkflowError):
        SERVICE[action][1](application, people[intruder], people)
    assert snapshot(application) == before


# -- the pages show a button exactly when it is allowed ------------------------------------------

OFFICER_BUTTONS = {
    A.START_REVIEW: "Start review",
    A.RELEASE: "Release to the queue",
    A.APPROVE: "Approve and issue certificate",
    A.REASSIGN: "Reassign to another officer",
}


@pytest.mark.parametrize("persona", ["assigned_officer", "colleague", "agency_admin"])
@pytest.mark.parametrize("status", [s for s in Status if s != Status.DRAFT])
def test_the_review_page_shows_the_buttons_the_table_allows(status, persona, people, eic_mumbai):
    application = application_in(status, people["owner"], people["assigned_officer"], eic_mumbai)
    if status in (Status.APPROVED, Status.ISSUED, Status.REJECTED):
        application.decided_at = timezone.now()
        application.save(update_fields=["decided_at"])
    page = verified_client(people[persona]).get(
        reverse("officer:review", args=[application.reference])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert application.reference in html
    for action, label in OFFICER_BUTTONS.items():
        expected = persona in EXPECTED[status].get(action, set())
        assert (label in html) == expected, (action, label)


@pytest.mark.parametrize("status", list(Status))
def test_the_detail_page_offers_withdraw_exactly_when_allowed(status, people, eic_mumbai):
    application = application_in(status, people["owner"], people["assigned_officer"], eic_mumbai)
    page = exporter_client(people["owner"]).get(
        reverse("applications:detail", args=[application.reference])
    )
    assert page.status_code == 200
    withdraw_url = reverse("applications:withdraw", args=[application.reference])
    assert application.reference in page.content.decode()
    assert (withdraw_url in page.content.decode()) == (
        "owner" in EXPECTED[status].get(A.WITHDRAW, set())
    )


@pytest.mark.parametrize("status", list(Status))
def test_the_list_links_to_the_task_list_exactly_when_editing_is_allowed(
    status, people, eic_mumbai
):
    application = application_in(status, people["owner"], people["assigned_officer"], eic_mumbai)
    page = exporter_client(people["owner"]).get(reverse("applications:list"))
    html = page.content.decode()
    tasks = reverse("applications:tasks", args=[application.reference])
    detail = reverse("applications:detail", args=[application.reference])
    editable = "owner" in EXPECTED[status].get(A.EDIT, set())
    assert (f'href="{tasks}"' in html) == editable
    assert (f'href="{detail}"' in html) == (not editable)
