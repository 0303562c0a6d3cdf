"""Item 5 of issue 33: a document's content is checked off the web threads. The upload answers
at once (only the size and the first bytes are looked at in the request); the file is kept
apart and cannot be used until the upload-check task has read it in its limited child; the
page follows the check with htmx and then tells the result, once."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import UploadCheck
from applications.tasks import upload_check_task
from core import sandbox
from core.durable.models import OutboxMessage
from tests.applications.conftest import tiny_pdf
from tests.security import hostile_pdfs

pytestmark = pytest.mark.django_db


def post(client, application, data: bytes, name: str = "invoice.pdf"):
    """The upload, with the worker not run yet (its on-commit publish is not executed)."""
    return client.post(
        reverse("applications:documents", args=[application.reference]),
        {"kind": "commercial_invoice", "file": SimpleUploadedFile(name, data)},
    )


def test_the_upload_answers_without_reading_the_content_and_the_file_waits_unusable(
    alice_client, draft, django_assert_max_num_queries
):
    with mock.patch.object(sandbox, "run", side_effect=AssertionError("checked in the request")):
        response = post(alice_client, draft, tiny_pdf())
    assert response.status_code == 302
    check = UploadCheck.objects.get()
    assert check.state == UploadCheck.State.CHECKING
    assert not draft.documents.exists()  # nothing usable: not listed, not viewable, not counted
    assert OutboxMessage.objects.filter(task="applications.upload_check", args=[check.pk]).exists()

    page = alice_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Being checked" in html
    assert "It cannot be used until the check ends" in html
    poll = reverse("applications:upload-check", args=[draft.reference, check.pk])
    assert f'hx-get="{poll}"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "htmx-2.min.js" in html  # the script is on the page while something is checked
    assert "Still needed:</strong> commercial invoice" in html

    with django_assert_max_num_queries(7):  # session, user, firm, check; session saved
        progress = alice_client.get(poll)
    assert progress.status_code == 200
    assert "HX-Refresh" not in progress
    assert "Checking the file" in progress.content.decode()


def test_once_checked_the_poll_reloads_the_page_which_tells_the_result_once(alice_client, draft):
    post(alice_client, draft, tiny_pdf())
    check = UploadCheck.objects.get()
    upload_check_task.apply(args=[check.pk])  # the worker

    poll = reverse("applications:upload-check", args=[draft.reference, check.pk])
    done = alice_client.get(poll)
    assert (done.status_code, done["HX-Refresh"]) == (204, "true")
    document = draft.documents.get()
    check.refresh_from_db()
    assert (check.state, check.document) == (UploadCheck.State.ACCEPTED, document)
    page = alice_client.get(reverse("applications:documents", args=[draft.reference]))
    html = page.content.decode()
    assert "Commercial invoice uploaded." in html
    assert "Being checked" not in html
    assert "htmx-2.min.js" not in html
    again = alice_client.get(reverse("applications:documents", args=[draft.reference]))
    assert "Commercial invoice uploaded." not in again.content.decode()
    upload_check_task.apply(args=[check.pk])  # delivered twice: nothing more happens
    assert draft.documents.count() == 1


def test_a_hostile_file_checked_by_the_worker_is_refused_next_to_the_field(
    alice_client, draft, django_capture_on_commit_callbacks
):
    post(alice_client, draft, hostile_pdfs.zip_bomb_content_stream())
    check = UploadCheck.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        upload_check_task.apply(args=[check.pk])
    check.refresh_from_db()
    assert check.state == UploadCheck.State.REFUSED
    assert not draft.documents.exists()
    assert not check.file.storage.exists(check.file.name)  # the kept copy is gone
    page = alice_client.get(reverse("applications:documents", args=[draft.reference]))
    assert page.status_code == 422
    [error] = page.context["form"].errors["file"]
    assert error.startswith("invoice.pdf: The PDF is built in a way no document needs")


def test_nobody_else_follows_the_check(alice_client, bob_client, draft):
    post(alice_client, draft, tiny_pdf())
    check = UploadCheck.objects.get()
    poll = reverse("applications:upload-check", args=[draft.reference, check.pk])
    assert bob_client.get(poll).status_code == 404
