"""Acceptance 2: on PostgreSQL, two officers acting at once produce one winner, one refusal,
and exactly one event."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connections

from applications import workflow
from applications.models import Application, ApplicationEvent, Status
from review import services as review_services
from tests import concurrency, factories

pytestmark = [
    pytest.mark.postgres,
    concurrency.needs_row_locks,
    pytest.mark.django_db(transaction=True),
]


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.fixture
def second_officer(eic_mumbai):
    return factories.OfficerFactory(
        username="omar",
        first_name="Omar",
        last_name="Khan",
        officer_profile__agency=eic_mumbai.agency,
        officer_profile__office=eic_mumbai,
    )


def test_two_officers_starting_review_at_once_leave_one_winner(submitted, olivia, second_officer):
    results = race(
        lambda: workflow.application_start_review(application_id=submitted.pk, officer=olivia),
        lambda: workflow.application_start_review(
            application_id=submitted.pk, officer=second_officer
        ),
    )

    wins = [r for r in results if isinstance(r, Application)]
    refusals = [r for r in results if isinstance(r, workflow.WorkflowError)]
    assert len(wins) == 1, results
    assert len(refusals) == 1, results
    winner = wins[0].assigned_officer
    assert winner.get_full_name() in str(refusals[0])
    assert "assigned to" in str(refusals[0])
    submitted.refresh_from_db()
    assert submitted.status == Status.UNDER_REVIEW
    assert submitted.assigned_officer == winner
    assert (
        ApplicationEvent.objects.filter(
            application=submitted, to_status=Status.UNDER_REVIEW
        ).count()
        == 1
    )


def test_approving_twice_at_once_approves_once(submitted, olivia, mail_outbox):
    workflow.application_start_review(application_id=submitted.pk, officer=olivia)
    mail_outbox.clear()  # the "under review" email; only the approval's count below

    results = race(
        lambda: review_services.application_approve(application_id=submitted.pk, officer=olivia),
        lambda: review_services.application_approve(application_id=submitted.pk, officer=olivia),
    )

    assert sum(isinstance(r, Application) for r in results) == 1, results
    refusal = next(r for r in results if isinstance(r, workflow.WorkflowError))
    assert "approved" in str(refusal)
    assert (
        ApplicationEvent.objects.filter(application=submitted, to_status=Status.APPROVED).count()
        == 1
    )
    assert len(mail_outbox) == 1
    assert "approved" in mail_outbox[0].subject
