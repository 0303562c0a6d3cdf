"""Acceptance (issue 13, members): Alice, the administrator, invites Priya as a preparer and
Sam as a signatory through the People pages. Priya drafts but is offered no pay, submit,
withdraw or declaration, and her direct POSTs are refused; Sam declares, pays and submits, and
the application, its acknowledgement (page and PDF) and the officer's review page name him.
Priya, removed, is refused on her next request."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import FirmMember
from applications.models import Application, Payment, Status
from applications.notifications import notify
from tests import factories
from tests.accounts.conftest import code_from_sms
from tests.clients import verified_client
from tests.members_helpers import signed_in
from tests.verification.factories import notification_extra

from .test_acknowledgement import pdf_text

pytestmark = pytest.mark.django_db


def url(name: str, application: Application) -> str:
    return reverse(f"applications:{name}", args=[application.reference])


def test_the_preparer_drafts_but_is_offered_and_allowed_no_pay_submit_or_declaration(
    priyas_draft,
):
    priya = signed_in("priya")  # her own username, password and CAPTCHA
    application = priyas_draft
    # She drafts: a section saves.
    response = priya.post(
        url("transport", application),
        {
            "transport_mode": "sea",
            "vessel_or_flight": "MV Priya V.1",
            "port_of_loading": "Nhava Sheva",
            "port_of_discharge": "Tanjung Priok",
            "departure_date": "2026-12-20",
        },
    )
    assert response["Location"] == url("tasks", application)
    application.refresh_from_db()
    assert application.vessel_or_flight == "MV Priya V.1"

    # Her pages offer no pay, submit, withdraw or declaration, and say who does.
    tasks = priya.get(url("tasks", application)).content.decode()
    assert "pay and submit" not in tasks
    assert "a signatory or an administrator of the firm makes the declaration" in tasks
    check = priya.get(url("check", application)).content.decode()
    for action in ("pay", "pay-wallet", "submit", "declaration"):
        assert f'action="{url(action, application)}"' not in check
    assert f'href="{url("declaration", application)}"' not in check
    assert "a signatory or an administrator of the firm makes the declaration" in check
    detail = priya.get(url("detail", application)).content.decode()
    assert url("withdraw", application) not in detail
    declaration = priya.get(url("declaration", application)).content.decode()
    assert '<form method="post" novalidate>' not in declaration
    assert "makes the declaration" in declaration

    # Direct POSTs are refused, and change nothing.
    priya.post(
        url("declaration", application),
        {
            "declaration_name": "Priya Nair",
            "declaration_designation": "Clerk",
            "declaration_place": "Mumbai",
            "declaration_date": "2026-12-02",
            "declaration_accepted": "on",
        },
    )
    refused = priya.post(url("pay", application), follow=True)
    assert "Only a signatory or an administrator" in refused.content.decode()
    priya.post(url("pay-wallet", application))
    submitted = priya.post(url("submit", application), follow=True)
    assert "Only a signatory or an administrator" in submitted.content.decode()
    priya.post(url("withdraw", application))
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert not application.declaration_accepted
    assert not Payment.objects.filter(application=application).exists()


def test_the_signatory_declares_pays_and_submits_and_is_named_as_the_submitter(
    priyas_draft, olivia, sms_outbox, django_capture_on_commit_callbacks
):
    sam = signed_in("sam")
    application = priyas_draft
    form = sam.get(url("declaration", application)).content.decode()
    assert 'value="Sam Iyer"' in form  # the signatory's name to start with
    response = sam.post(
        url("declaration", application),
        {
            "declaration_name": "Sam Iyer",
            "declaration_designation": "Export Manager",
            "declaration_place": "Mumbai",
            "declaration_date": "2026-12-02",
            "declaration_accepted": "on",
        },
    )
    # Saving the declaration leads to signing it, with a code sent to Sam's verified mobile.
    assert response["Location"] == url("declaration-sign", application)
    with django_capture_on_commit_callbacks(execute=True):
        sam.post(url("declaration-sign", application), {"send": "1"})
    sms = sms_outbox[-1]
    assert sms.to == "+919820054321"
    assert application.reference in sms.body
    code = code_from_sms(sms_outbox)
    signed = sam.post(url("declaration-sign", application), {"code": code})
    assert signed["Location"] == url("check", application)
    check = sam.get(url("check", application)).content.decode()
    assert f'action="{url("pay", application)}"' in check
    assert "Sign the declaration" not in check

    started = sam.post(url("pay", application))
    payment = Payment.objects.get(application=application, state="created")
    assert started["Location"] == reverse("applications:payment-sandbox", args=[payment.order_id])
    with django_capture_on_commit_callbacks(execute=True):
        sam.post(started["Location"], {"outcome": "captured"})
    payment.refresh_from_db()
    assert payment.state == Payment.State.CAPTURED

    with django_capture_on_commit_callbacks(execute=True):
        done = sam.post(url("submit", application))
    assert done["Location"] == url("confirmation", application)
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert application.submitted_by.username == "sam"
    assert application.declaration_name == "Sam Iyer"

    named = "Submitted by</dt><dd>Sam Iyer (Signatory)"
    assert named in sam.get(url("detail", application)).content.decode()
    assert named in sam.get(url("acknowledgement", application)).content.decode()
    pdf = sam.get(url("acknowledgement-pdf", application))
    text = " ".join(
        pdf_text(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content).split()
    )
    assert "Sam Iyer (Signatory)" in text
    firm = application.firm.firm_name
    assert (
        f"Signed electronically by Sam Iyer, signatory of {firm}, with a code sent to "
        "+91 ******4321 on" in text
    )
    review = verified_client(olivia).get(reverse("officer:review", args=[application.reference]))
    assert "Submitted by Sam Iyer (Signatory)" in review.content.decode()
    # Priya, of the same firm, sees it too; the list shows it to her.
    priya = signed_in("priya")
    assert application.reference in priya.get(reverse("applications:list")).content.decode()


def test_the_submitter_is_named_in_the_capacity_they_submitted_in(
    team, priyas_draft, django_capture_on_commit_callbacks
):
    """Sam submitted as a signatory; made a preparer later, the application, its
    acknowledgement and the officer's review still say he submitted it as a signatory."""
    admin, people = team
    application = priyas_draft
    Application.objects.filter(pk=application.pk).update(
        declaration_name="Sam Iyer",
        declaration_designation="Export Manager",
        declaration_place="Mumbai",
        declaration_date="2026-12-02",
        declaration_accepted=True,
    )
    factories.PaymentFactory(application=application, state=Payment.State.CAPTURED)
    factories.declaration_sign(application, signer=team[1]["sam"])
    sam = signed_in("sam")
    with django_capture_on_commit_callbacks(execute=True):
        assert sam.post(url("submit", application)).status_code == 302
    application.refresh_from_db()
    assert application.submitted_as == "Signatory"

    membership = FirmMember.objects.get(user=people["sam"])
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("accounts:member-role", args=[membership.pk]), {"role": "preparer"})
    membership.refresh_from_db()
    assert membership.role == "preparer"

    for page in ("detail", "acknowledgement"):
        body = signed_in("priya").get(url(page, application)).content.decode()
        assert "Submitted by</dt><dd>Sam Iyer (Signatory)" in body
        assert "Sam Iyer (Preparer)" not in body


def test_a_removed_members_open_session_is_refused_on_its_next_request(
    team, priyas_draft, django_capture_on_commit_callbacks
):
    admin, people = team
    priya = signed_in("priya")
    assert priya.get(url("tasks", priyas_draft)).status_code == 200
    membership = FirmMember.objects.get(user=people["priya"])
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("accounts:member-remove", args=[membership.pk]))
    refused = priya.get(url("tasks", priyas_draft))
    assert refused.status_code == 302
    assert refused["Location"].startswith(reverse("accounts:login"))
    # Her draft stays with the firm: Sam still sees it.
    assert signed_in("sam").get(url("tasks", priyas_draft)).status_code == 200


def test_the_history_says_you_only_to_the_person_who_acted(priyas_draft):
    """Sam sees Priya's work under her name, not as his own."""
    from applications.events import application_event_record
    from applications.models import ApplicationEvent

    application_event_record(
        application_id=priyas_draft.pk,
        kind=ApplicationEvent.Kind.TRANSITION,
        from_status="",
        to_status=Status.DRAFT,
        actor=priyas_draft.exporter,
        note="",
    )
    sams = signed_in("sam").get(url("detail", priyas_draft)).content.decode()
    assert "by Priya Nair" in sams
    assert "by you" not in sams
    assert "by you" in signed_in("priya").get(url("detail", priyas_draft)).content.decode()


def submitted_by(application: Application, person, mail_outbox) -> Application:  # type: ignore[no-untyped-def]
    """The application as if `person` had submitted it, the mail so far forgotten."""
    application.submitted_by = person
    application.save(update_fields=["submitted_by"])
    mail_outbox.clear()
    return application


@pytest.mark.parametrize("event", ["submitted", "clarification_requested", "approved", "issued"])
def test_the_signatory_who_submitted_hears_what_the_preparer_hears(
    event, team, priyas_draft, mail_outbox, django_capture_on_commit_callbacks
):
    """Priya filed the draft, Sam submitted it: each is written to by name, once."""
    _, people = team
    application = submitted_by(priyas_draft, people["sam"], mail_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(event, application, **notification_extra(event, application))
    bodies = {m.to[0]: m.body for m in mail_outbox}
    assert sorted(m.to[0] for m in mail_outbox) == ["priya@alice.example", "sam@alice.example"]
    assert bodies["priya@alice.example"].startswith("Dear Priya Nair,")
    assert bodies["sam@alice.example"].startswith("Dear Sam Iyer,")
    assert "Sam Iyer, who submitted it, has been told by email." in sent.message_for(
        people["priya"]
    )


def test_the_filer_who_submitted_is_written_to_once(
    team, priyas_draft, mail_outbox, django_capture_on_commit_callbacks
):
    _, people = team
    application = submitted_by(priyas_draft, people["priya"], mail_outbox)
    with django_capture_on_commit_callbacks(execute=True):
        notify("approved", application)
    assert [m.to for m in mail_outbox] == [["priya@alice.example"]]
