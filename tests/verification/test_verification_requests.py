"""Verification requests (issue 32): a customs authority files a request on a certificate, the
issuing agency's administrator assigns it, the exporter answers with evidence, the agency gives
a reasoned finding that the verifier reads on its page and through the API; deadlines remind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from tests import factories
from tests.applications.conftest import tiny_pdf, tiny_png
from tests.clients import exporter_client, verified_client
from tests.verification.test_utilisation import verifier
from verification import requests as service
from verification.models import RequestAttachment, RequestEvent, VerificationRequest

pytestmark = pytest.mark.django_db

NUMBER, CODE = "EIC/2026/MUM/0000123", "K7PX2M9QRT4W"


@pytest.fixture
def dubai():
    return verifier("hamdan", org="Dubai Customs")


@pytest.fixture
def ada(eic_mumbai):
    return factories.OfficerFactory(
        username="ada",
        role="agency_admin",
        officer_profile__agency=eic_mumbai.agency,
        officer_profile__office=eic_mumbai,
    )


def new_url() -> str:
    return reverse("verification:request-new", args=[NUMBER]) + f"?code={CODE}"


def file_request(user, **extra):
    client = verified_client(user)
    data = {
        "reasons": ["origin_criterion", "authenticity"],
        "questions": "Show the cost sheet for item 1.",
        "their_reference": "DXB/RV/77",
        **extra,
    }
    return client, client.post(new_url(), data)


def emails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_the_whole_request_round_trip(
    certificate, dubai, ada, olivia, alice, django_capture_on_commit_callbacks
):
    # 1. The customs verifier files, with a document checked by content.
    attachment = SimpleUploadedFile("letter.pdf", tiny_pdf(), "application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        client, answer = file_request(dubai, attachments=[attachment])
    vr = VerificationRequest.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == reverse("verification:verifier-request", args=[vr.pk])
    assert vr.reasons == ["authenticity", "origin_criterion"]
    assert vr.agency == certificate.application.agency
    assert vr.due_at - vr.filed_at == dt.timedelta(days=service.RESPONSE_DAYS_DEFAULT)
    assert vr.attachments.get().party == RequestAttachment.Party.VERIFIER
    assert emails_to(ada.email), "the agency's administrator is told"

    # The exporter does not see it before the agency assigns it.
    alice_client = exporter_client(alice)
    assert (
        alice_client.get(reverse("verification:exporter-request", args=[vr.pk])).status_code == 404
    )

    # 2. The agency's administrator assigns it to Olivia; the firm is asked for evidence.
    admin = verified_client(ada)
    page = admin.get(reverse("officer:verification-request", args=[vr.pk]))
    assert page.status_code == 200
    assert "Olivia" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            admin.post(
                reverse("officer:verification-request-assign", args=[vr.pk]), {"officer": olivia.pk}
            ).status_code
            == 302
        )
    vr.refresh_from_db()
    assert vr.status == "assigned"
    assert vr.assigned_to == olivia
    assert emails_to(alice.email), "the firm's members are asked for evidence"

    # 3. The exporter answers with evidence.
    evidence = SimpleUploadedFile("cost-sheet.png", tiny_png(), "image/png")
    answer = alice_client.post(
        reverse("verification:exporter-request", args=[vr.pk]),
        {"answer": "Regional value content 46%; cost sheet attached.", "evidence": [evidence]},
    )
    assert answer.status_code == 302
    vr.refresh_from_db()
    assert vr.status == "answered"
    assert "46%" in vr.exporter_answer
    assert vr.attachments.filter(party="exporter").count() == 1

    # 4. Olivia confirms origin with reasons; the verifier is emailed.
    with django_capture_on_commit_callbacks(execute=True):
        answer = verified_client(olivia).post(
            reverse("officer:verification-request-decide", args=[vr.pk]),
            {"finding": "confirmed", "reasons": "The cost sheet shows RVC of 46% (40% needed)."},
        )
    assert answer.status_code == 302
    vr.refresh_from_db()
    assert vr.finding == "confirmed"
    assert vr.decided_by == olivia
    assert emails_to("unit@example.ae")

    # The verifier sees the outcome on its page, but not the exporter's evidence.
    page = client.get(reverse("verification:verifier-request", args=[vr.pk])).content.decode()
    assert "Origin confirmed" in page
    assert "RVC of 46%" in page
    assert "cost-sheet" not in page

    # Every step is audited, on the request and on the application's trail.
    kinds = list(vr.events.values_list("kind", flat=True))
    assert kinds == ["filed", "assigned", "answered", "decided"]
    notes = certificate.application.events.values_list("note", flat=True)
    assert sum(vr.reference in note for note in notes) == 4


def test_a_request_is_refused_for_a_bank_an_unconfirmed_unit_or_without_second_factor(
    certificate,
):
    bank = verifier("banker", org="Emirates Bank")
    bank.verifier_membership.organisation.kind = "bank"
    bank.verifier_membership.organisation.save()
    with pytest.raises(service.RequestError):
        service.request_file(
            certificate_id=certificate.pk, user=bank, reasons=["random"], questions="?"
        )
    unconfirmed = verifier("nobody", org="Unconfirmed Customs", confirmed=False)
    assert file_request(unconfirmed)[1].status_code == 403
    # Signed in with the password only: sent to the verifier's sign-in.
    plain = exporter_client(verifier("halfway", org="Dubai Customs"))
    answer = plain.get(new_url())
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:verifier-login"))
    assert not VerificationRequest.objects.exists()


def test_an_attachment_is_checked_by_content(certificate, dubai):
    fake = SimpleUploadedFile("letter.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    _, answer = file_request(dubai, attachments=[fake])
    assert answer.status_code == 200  # the form again, with its error
    assert "whatever its name says" in answer.content.decode()
    assert not VerificationRequest.objects.exists()


def _filed(certificate, dubai) -> VerificationRequest:
    return service.request_file(
        certificate_id=certificate.pk,
        user=dubai,
        reasons=["accuracy"],
        questions="Is the HS code right?",
    )


def test_only_the_agencys_admin_assigns_and_only_to_its_own_officers(
    certificate, dubai, ada, olivia, oscar
):
    vr = _filed(certificate, dubai)
    # Oscar is FIEO's officer: the request is not in his agency's queue.
    assert (
        verified_client(oscar)
        .get(reverse("officer:verification-request", args=[vr.pk]))
        .status_code
        == 404
    )
    # Olivia is EIC's officer but not its administrator.
    refused = verified_client(olivia).post(
        reverse("officer:verification-request-assign", args=[vr.pk]), {"officer": olivia.pk}
    )
    assert refused.status_code == 400
    # Ada cannot assign it to another agency's officer.
    refused = verified_client(ada).post(
        reverse("officer:verification-request-assign", args=[vr.pk]), {"officer": oscar.pk}
    )
    assert refused.status_code == 400
    vr.refresh_from_db()
    assert vr.status == "filed"
    assert vr.assigned_to is None


def test_another_firm_and_another_verifier_see_nothing(certificate, dubai, ada, olivia, bob):
    vr = _filed(certificate, dubai)
    service.request_assign(request_id=vr.pk, by=_verified(ada), officer_id=olivia.pk)
    assert (
        exporter_client(bob).get(reverse("verification:exporter-request", args=[vr.pk])).status_code
        == 404
    )
    other = verifier("mariam", org="Abu Dhabi Customs")
    assert (
        verified_client(other)
        .get(reverse("verification:verifier-request", args=[vr.pk]))
        .status_code
        == 404
    )
    with pytest.raises(service.RequestError):
        service.request_answer(request_id=vr.pk, by=bob, answer="Not mine")


def _verified(user):
    user.is_verified = lambda: True
    return user


def test_the_api_gives_the_verifier_its_requests_and_the_finding(
    certificate, dubai, ada, olivia, client
):
    vr = _filed(certificate, dubai)
    home = verified_client(dubai).post(
        reverse("verification:verifier-home"), {"name": "Customs system", "days": 30}
    )
    token = home.context["secret"]
    assert ApiToken.objects.get(user=dubai).scopes == ["verification"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/verification-requests", headers=headers)
    assert listed.status_code == 200
    assert [r["reference"] for r in listed.json()] == [vr.reference]
    assert listed.json()[0]["finding"] is None

    service.request_assign(request_id=vr.pk, by=_verified(ada), officer_id=olivia.pk)
    service.request_decide(
        request_id=vr.pk, by=_verified(olivia), finding="not_confirmed", reasons="HS 6109 wrong."
    )
    one = client.get(f"/api/v1/verification-requests/{vr.pk}", headers=headers).json()
    assert one["finding"] == "not_confirmed"
    assert one["finding_reasons"] == "HS 6109 wrong."

    # Another organisation's token: 404; a firm's token (no verification scope): 403.
    other = verifier("mariam", org="Abu Dhabi Customs")
    _, raw = service.verifier_token_create(user=other, name="x", days=1)
    assert (
        client.get(
            f"/api/v1/verification-requests/{vr.pk}", headers={"Authorization": f"Bearer {raw}"}
        ).status_code
        == 404
    )


def test_a_firms_token_cannot_read_verification_requests(alice, client):
    from accounts.api_tokens import api_token_create

    _, raw = api_token_create(user=alice, name="x", scopes=["read"], days=1)
    answer = client.get("/api/v1/verification-requests", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 403


def test_a_passed_deadline_sends_reminders_once_a_day(
    certificate, dubai, ada, olivia, alice, django_capture_on_commit_callbacks
):
    vr = _filed(certificate, dubai)
    service.request_assign(request_id=vr.pk, by=_verified(ada), officer_id=olivia.pk)
    mail.outbox.clear()
    # Well before the deadline: nothing.
    assert service.requests_remind(now=timezone.now() + dt.timedelta(days=30)) == []
    # The clock moved past the deadline: the agency (admin, assigned officer) and the firm.
    later = vr.due_at + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        sent = service.requests_remind(now=later)
    assert sent == [service.Reminded(vr.pk, overdue=True)]
    recipients = {address for m in mail.outbox for address in m.to}
    assert recipients == {ada.email, olivia.email, alice.email}
    assert all(m.subject.startswith("Overdue") for m in mail.outbox)
    assert RequestEvent.objects.filter(request=vr, kind="reminded").count() == 1
    # An hour later: not again; a day later: again.
    assert service.requests_remind(now=later + dt.timedelta(hours=1)) == []
    assert len(service.requests_remind(now=later + dt.timedelta(days=1))) == 1
    # Answered: never reminded again.
    service.request_decide(
        request_id=vr.pk, by=_verified(olivia), finding="partly", reasons="Item 2 only."
    )
    assert service.requests_remind(now=later + dt.timedelta(days=5)) == []


def test_the_reminder_task_is_on_celery_beat():
    from coo_portal.celery import app as celery_app

    schedule = celery_app.conf.beat_schedule["verification request reminders"]
    assert schedule["task"] == "verification.tasks.verification_requests_remind"


def test_pages_issue_a_bounded_number_of_queries(
    certificate, dubai, ada, olivia, django_assert_max_num_queries
):
    for _ in range(5):
        vr = _filed(certificate, dubai)
        service.request_assign(request_id=vr.pk, by=_verified(ada), officer_id=olivia.pk)
    clients = [
        (verified_client(dubai), reverse("verification:verifier-home")),
        (verified_client(ada), reverse("officer:verification-requests")),
        (verified_client(ada), reverse("officer:verification-request", args=[vr.pk])),
        (verified_client(dubai), reverse("verification:verifier-request", args=[vr.pk])),
    ]
    for c, url in clients:
        with django_assert_max_num_queries(14):
            assert c.get(url).status_code == 200
