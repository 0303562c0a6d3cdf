"""Password reset and registration answer alike whatever the registry holds (issue 18,
finding 10): the request reads nothing of the IEC and queues one task, the same for a
registered IEC as for an unknown one; the worker does the rest."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import enquiries

from .conftest import registration_data

pytestmark = pytest.mark.django_db


def answer_and_queue(client, url: str, data: dict, capture) -> tuple[object, list, list]:
    """The answer, the SQL the request ran, and the tasks it queued (not yet run)."""
    with capture(execute=False) as callbacks, CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    with (
        mock.patch.object(enquiries.password_reset_request_task, "delay") as reset,
        mock.patch.object(enquiries.registration_request_task, "delay") as register,
    ):
        for callback in callbacks:
            callback()
    queued = [("reset", c.args) for c in reset.call_args_list] + [
        ("register", c.args) for c in register.call_args_list
    ]
    shapes = [q["sql"].split(" WHERE ")[0] for q in queries.captured_queries]
    return response, shapes, queued


def test_a_reset_for_a_registered_and_an_unknown_iec_runs_the_same_request(
    client, alice, mail_outbox, django_capture_on_commit_callbacks
):
    url = reverse("accounts:password-reset")
    answers = {
        iec: answer_and_queue(
            client,
            url,
            {"iec": iec, "captcha_0": "x", "captcha_1": "PASSED"},
            django_capture_on_commit_callbacks,
        )
        for iec in ("0123456789", "9999999999")
    }
    (known, known_sql, known_tasks), (unknown, unknown_sql, unknown_tasks) = answers.values()
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("accounts:password-reset-sent")
    assert known_sql == unknown_sql  # no query reads the IEC's account
    assert known_tasks == [("reset", ("0123456789",))]
    assert unknown_tasks == [("reset", ("9999999999",))]
    assert mail_outbox == []  # nothing was made or sent in the request


def test_the_reset_task_sends_the_link_only_to_a_registered_iec(
    alice, mail_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enquiries.password_reset_request_task.delay("9999999999")
    assert mail_outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        enquiries.password_reset_request_task.delay("0123456789")
    assert mail_outbox[-1].to == [alice.email]


def test_a_matching_and_a_mismatching_registration_run_the_same_request(
    client, ready_iec, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    url = reverse("accounts:register")
    matching = answer_and_queue(
        client, url, registration_data(ready_iec), django_capture_on_commit_callbacks
    )
    mismatching = answer_and_queue(
        client,
        url,
        registration_data(ready_iec, mobile="9000000001"),
        django_capture_on_commit_callbacks,
    )
    assert matching[0]["Location"] == mismatching[0]["Location"]
    assert matching[1] == mismatching[1]
    assert [kind for kind, _ in matching[2]] == [kind for kind, _ in mismatching[2]] == ["register"]
    assert (mail_outbox, sms_outbox) == ([], [])
