"""Issue 33: a signatory is told when a preparer's draft is ready for signature, by email and
SMS through the outbox and on their list of applications; the preparer's page says so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications import services
from applications.models import Application
from applications.workflow import WorkflowError
from tests.members_helpers import signed_in

pytestmark = pytest.mark.django_db


def url(name: str, application: Application) -> str:
    return reverse(f"applications:{name}", args=[application.reference])


def test_the_preparer_says_ready_and_the_signatory_and_administrator_are_told(
    alice, team, priyas_draft, mail_outbox, sms_outbox, django_capture_on_commit_callbacks
):
    _, people = team
    priya, sam = people["priya"], people["sam"]
    priya_client = signed_in("priya")
    check = priya_client.get(url("check", priyas_draft)).content.decode()
    assert "Ready for signature</button>" in check
    mail_outbox.clear()
    sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = priya_client.post(url("request-signature", priyas_draft), follow=True)
    page = response.content.decode()
    assert "Sam Iyer, signatory, has been told by email and SMS." in page
    assert "You told the firm's signatories it is ready for signature" in page
    subjects = {m.to[0]: m.subject for m in mail_outbox}
    expected = f"Application {priyas_draft.reference} is ready for your signature"
    assert subjects == {"sam@alice.example": expected, alice.email: expected}
    assert "Priya Nair has prepared application" in mail_outbox[0].body
    assert [s.to for s in sms_outbox] == ["+919820054321"]
    assert "Priya Nair asks you to check, declare, pay and submit" in sms_outbox[0].body

    # On Sam's list of applications, until it leaves DRAFT; and on the timeline.
    sams_list = signed_in("sam").get(reverse("applications:list")).content.decode()
    assert "Ready for your signature" in sams_list
    assert f"{priyas_draft.reference}</a>, prepared by Priya Nair" in sams_list
    priyas_list = priya_client.get(reverse("applications:list")).content.decode()
    assert "Ready for your signature" not in priyas_list
    assert priyas_draft.events.filter(actor=priya, note__startswith="Ready for signature").exists()
    assert sam.pk != priya.pk


def test_a_draft_whose_preparers_part_is_incomplete_is_not_ready(team, priyas_draft):
    priyas_draft.documents.all().delete()
    page = signed_in("priya").get(url("check", priyas_draft)).content.decode()
    assert "Before it is ready for signature" in page
    assert "Ready for signature</button>" not in page
    with pytest.raises(
        WorkflowError,
        match=r"not ready for signature yet: complete the section .Supporting",
    ):
        services.application_request_signature(
            application_id=priyas_draft.pk, preparer=team[1]["priya"]
        )


def test_a_signatory_is_not_offered_to_ask_themselves(team, priyas_draft):
    with pytest.raises(WorkflowError, match="may declare, pay and submit this application"):
        services.application_request_signature(
            application_id=priyas_draft.pk, preparer=team[1]["sam"]
        )
