"""Issue 33: the API's document upload is checked off the web threads, as the portal's is.
The upload answers 202 with a check to poll; the content is read by the upload-check task
(the worker; run here by hand) and the document joins the application only if it passes."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import FirmMember
from applications.models import Application, UploadCheck
from applications.tasks import upload_check_task
from core import sandbox
from tests.applications.conftest import tiny_pdf
from tests.security import hostile_pdfs

from .conftest import ApiClient, new_application, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def reference(kiran_api, alice, reference_data) -> str:
    iec = FirmMember.objects.get(user=alice).firm.iec
    return kiran_api.post("/applications", new_application(iec)).json()["reference"]


def post(api: ApiClient, reference: str, data: bytes):
    """The upload, with the worker not run yet (its on-commit publish is not executed)."""
    file = SimpleUploadedFile("invoice.pdf", data)
    return api.post(
        f"/applications/{reference}/documents", files={"kind": "commercial_invoice", "file": file}
    )


def test_the_upload_answers_202_without_reading_the_content_and_the_client_polls(
    kiran_api, reference, django_capture_on_commit_callbacks
):
    with mock.patch.object(sandbox, "run", side_effect=AssertionError("checked in the request")):
        answer = post(kiran_api, reference, tiny_pdf())
    assert answer.status_code == 202, answer.json()
    body = answer.json()
    assert body["state"] == "checking"
    assert body["document"] is None
    check = UploadCheck.objects.get()
    assert body["status_url"] == f"/api/v1/applications/{reference}/documents/checks/{check.pk}"
    assert kiran_api.get(f"/applications/{reference}/documents").json() == []
    assert not Application.objects.get(reference=reference).documents.exists()
    polled = kiran_api.client.get(body["status_url"], headers=kiran_api.headers)
    assert polled.status_code == 200
    assert polled.json()["state"] == "checking"

    with django_capture_on_commit_callbacks(execute=True):
        upload_check_task.apply(args=[check.pk])
    done = kiran_api.client.get(body["status_url"], headers=kiran_api.headers).json()
    assert done["state"] == "accepted"
    assert done["document"]["kind"] == "commercial_invoice"
    listed = kiran_api.get(f"/applications/{reference}/documents").json()
    assert [d["id"] for d in listed] == [done["document"]["id"]]


def test_a_hostile_file_is_refused_by_the_check_and_never_joins_the_application(
    kiran_api, reference, django_capture_on_commit_callbacks
):
    answer = post(kiran_api, reference, hostile_pdfs.zip_bomb_content_stream())
    assert answer.status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        upload_check_task.apply(args=[UploadCheck.objects.get().pk])
    done = kiran_api.client.get(answer.json()["status_url"], headers=kiran_api.headers).json()
    assert done["state"] == "refused"
    assert done["message"].startswith("The PDF is built in a way no document needs")
    assert done["document"] is None
    assert kiran_api.get(f"/applications/{reference}/documents").json() == []


def test_what_can_be_said_at_once_is_still_a_422(kiran_api, reference):
    answer = post(kiran_api, reference, b"GIF89a not a document")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "file"
    assert not UploadCheck.objects.exists()


def test_another_firms_token_cannot_follow_the_check(kiran_api, reference, bob):
    answer = post(kiran_api, reference, tiny_pdf())
    bobs = ApiClient(token_for(bob))
    assert bobs.client.get(answer.json()["status_url"], headers=bobs.headers).status_code == 404
