"""Acceptance 1: every legal officer transition works; every illegal one is refused with a
clear message and changes nothing."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from applications import workflow
from applications.models import ApplicationEvent, Status
from core.durable.models import OutboxMessage
from review import services as review_services
from tests import factories


def state(application):
    application.refresh_from_db()
    return (
        application.status,
        application.assigned_officer_id,
        application.decided_at,
        ApplicationEvent.objects.filter(application=application).count(),
    )


def start(application, officer):
    return workflow.application_start_review(application_id=application.pk, officer=officer)


# -- legal ------------------------------------------------------------------------------------


def test_start_review_assigns_the_application_and_writes_an_event(submitted, olivia):
    start(submitted, olivia)

    submitted.refresh_from_db()
    assert submitted.status == Status.UNDER_REVIEW
    assert submitted.assigned_officer == olivia
    event = submitted.events.last()
    assert (event.from_status, event.to_status, event.actor) == (
        Status.SUBMITTED,
        Status.UNDER_REVIEW,
        olivia,
    )
    assert event.created_at is not None


@pytest.mark.parametrize(
    ("decide", "to", "note"),
    [
        (
            lambda a, o: review_services.application_approve(
                application_id=a.pk, officer=o, remark="All in order"
            ),
            Status.APPROVED,
            "All in order",
        ),
        (
            lambda a, o: workflow.application_reject(
                application_id=a.pk, officer=o, reason="HS code is wrong"
            ),
            Status.REJECTED,
            "HS code is wrong",
        ),
        (
            lambda a, o: workflow.application_request_clarification(
                application_id=a.pk, officer=o, message="Upload the signed invoice"
            ),
            Status.CLARIFICATION_REQUESTED,
            "Upload the signed invoice",
        ),
    ],
    ids=["approve", "reject", "clarify"],
)
def test_each_decision_moves_the_application_and_records_the_note(
    submitted, olivia, decide, to, note
):
    start(submitted, olivia)
    decide(submitted, olivia)

    submitted.refresh_from_db()
    assert submitted.status == to
    event = submitted.events.last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        Status.UNDER_REVIEW,
        to,
        olivia,
        note,
    )
    assert (submitted.decided_at is not None) == (to != Status.CLARIFICATION_REQUESTED)


def test_approval_enqueues_certificate_issuance(
    submitted, olivia, issuance_calls, django_capture_on_commit_callbacks
):
    start(submitted, olivia)
    with django_capture_on_commit_callbacks(execute=True):
        review_services.application_approve(application_id=submitted.pk, officer=olivia)
    assert issuance_calls == [submitted.pk]


def test_an_approval_that_rolls_back_enqueues_no_issuance(
    submitted, olivia, issuance_calls, django_capture_on_commit_callbacks
):
    start(submitted, olivia)
    queued = OutboxMessage.objects.count()

    def approve_then_fail() -> None:
        with transaction.atomic():
            review_services.application_approve(application_id=submitted.pk, officer=olivia)
            raise RuntimeError("a later step of the same request fails")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        approve_then_fail()
    submitted.refresh_from_db()
    assert (submitted.status, issuance_calls) == (Status.UNDER_REVIEW, [])
    assert OutboxMessage.objects.count() == queued


def test_the_workflow_alone_approves_without_issuing(
    submitted, olivia, issuance_calls, django_capture_on_commit_callbacks
):
    # Issuance is review's call (review.services), not a side effect hidden behind a signal.
    start(submitted, olivia)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.application_approve(application_id=submitted.pk, officer=olivia)
    assert issuance_calls == []


def test_an_officer_can_release_their_own_application(submitted, olivia):
    start(submitted, olivia)
    workflow.application_release(application_id=submitted.pk, officer=olivia)

    submitted.refresh_from_db()
    assert (submitted.status, submitted.assigned_officer) == (Status.SUBMITTED, None)


def test_the_agency_administrator_can_reassign(submitted, olivia, ada, eic_mumbai):
    omar = factories.OfficerFactory(username="omar", officer_profile__office=eic_mumbai)
    start(submitted, olivia)
    workflow.application_reassign(application_id=submitted.pk, admin=ada, to_officer=omar)

    submitted.refresh_from_db()
    assert (submitted.status, submitted.assigned_officer) == (Status.UNDER_REVIEW, omar)
    assert submitted.events.last().kind == ApplicationEvent.Kind.ASSIGNMENT
    review_services.application_approve(application_id=submitted.pk, officer=omar)


# -- illegal ----------------------------------------------------------------------------------


def test_a_draft_cannot_be_approved(make_application, olivia):
    draft = make_application(status=Status.DRAFT, submitted_at=None)
    before = state(draft)
    with pytest.raises(workflow.WorkflowError, match="is draft; it cannot be approved"):
        review_services.application_approve(application_id=draft.pk, officer=olivia)
    assert state(draft) == before


def test_a_draft_cannot_be_taken_for_review(make_application, olivia):
    draft = make_application(status=Status.DRAFT, submitted_at=None)
    before = state(draft)
    with pytest.raises(workflow.WorkflowError, match="cannot be taken for review"):
        start(draft, olivia)
    assert state(draft) == before


def test_a_submitted_application_cannot_be_decided_before_review(submitted, olivia):
    before = state(submitted)
    with pytest.raises(workflow.WorkflowError, match="is submitted; it cannot be approved"):
        review_services.application_approve(application_id=submitted.pk, officer=olivia)
    assert state(submitted) == before


def test_an_application_cannot_be_rejected_twice(submitted, olivia):
    start(submitted, olivia)
    workflow.application_reject(application_id=submitted.pk, officer=olivia, reason="No")
    before = state(submitted)
    with pytest.raises(workflow.WorkflowError, match="is rejected; it cannot be rejected"):
        workflow.application_reject(application_id=submitted.pk, officer=olivia, reason="No")
    assert state(submitted) == before


def test_an_officer_cannot_decide_an_application_assigned_to_someone_else(
    submitted, olivia, eic_mumbai
):
    omar = factories.OfficerFactory(
        username="omar", first_name="Omar", last_name="Khan", officer_profile__office=eic_mumbai
    )
    start(submitted, omar)
    before = state(submitted)
    for decide in (
        lambda: review_services.application_approve(application_id=submitted.pk, officer=olivia),
        lambda: workflow.application_reject(
            application_id=submitted.pk, officer=olivia, reason="x"
        ),
        lambda: workflow.application_request_clarification(
            application_id=submitted.pk, officer=olivia, message="x"
        ),
        lambda: workflow.application_release(application_id=submitted.pk, officer=olivia),
        lambda: start(submitted, olivia),
    ):
        with pytest.raises(workflow.WorkflowError, match="assigned to Omar Khan, not to you"):
            decide()
    assert state(submitted) == before


def test_an_officer_of_another_agency_cannot_act(submitted, oscar):
    before = state(submitted)
    with pytest.raises(workflow.WorkflowError, match="Only officers of the issuing agency"):
        start(submitted, oscar)
    assert state(submitted) == before


def test_reject_needs_a_reason_and_clarification_a_message(submitted, olivia):
    start(submitted, olivia)
    before = state(submitted)
    with pytest.raises(workflow.WorkflowError, match="Give the reason"):
        workflow.application_reject(application_id=submitted.pk, officer=olivia, reason="  ")
    with pytest.raises(workflow.WorkflowError, match="Write what the exporter needs"):
        workflow.application_request_clarification(
            application_id=submitted.pk, officer=olivia, message=""
        )
    assert state(submitted) == before


def test_only_an_agency_administrator_can_reassign(submitted, olivia, eic_mumbai):
    omar = factories.OfficerFactory(username="omar", officer_profile__office=eic_mumbai)
    before = state(submitted)
    with pytest.raises(workflow.WorkflowError, match="Only an agency administrator"):
        workflow.application_reassign(application_id=submitted.pk, admin=olivia, to_officer=omar)
    assert state(submitted) == before


# -- through the pages --------------------------------------------------------------------------


def test_a_refused_decision_is_shown_plainly_on_the_review_page(
    submitted, olivia, officer_client, eic_mumbai
):
    omar = factories.OfficerFactory(
        username="omar", first_name="Omar", last_name="Khan", officer_profile__office=eic_mumbai
    )
    start(submitted, omar)
    before = state(submitted)

    response = officer_client(olivia).post(
        reverse("officer:approve", args=[submitted.reference]), follow=True
    )

    assert response.status_code == 200
    assert "is assigned to Omar Khan, not to you." in response.content.decode()
    assert state(submitted) == before


def test_start_review_then_clarify_through_the_pages(submitted, olivia, officer_client):
    client = officer_client(olivia)
    url = reverse("officer:review", args=[submitted.reference])
    page = client.post(reverse("officer:start-review", args=[submitted.reference]), follow=True)
    assert page.redirect_chain[-1][0] == url
    assert "You are reviewing" in page.content.decode()

    empty = client.post(reverse("officer:clarify", args=[submitted.reference]), {"message": ""})
    assert empty.status_code == 400
    assert "Write what the exporter needs to clarify." in empty.content.decode()

    client.post(reverse("officer:clarify", args=[submitted.reference]), {"message": "Which port?"})
    submitted.refresh_from_db()
    assert submitted.status == Status.CLARIFICATION_REQUESTED


def test_a_second_officer_pressing_start_review_is_told_who_has_it(
    submitted, olivia, officer_client, eic_mumbai
):
    omar = factories.OfficerFactory(username="omar", officer_profile__office=eic_mumbai)
    officer_client(olivia).post(reverse("officer:start-review", args=[submitted.reference]))

    page = officer_client(omar).post(
        reverse("officer:start-review", args=[submitted.reference]), follow=True
    )

    assert "is assigned to Olivia Rao, not to you." in page.content.decode()
