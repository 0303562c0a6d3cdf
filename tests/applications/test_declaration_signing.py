"""Issue 33, item 10: the signatory signs the declaration with a one-time code sent to their
verified mobile at that moment; the signature records who, for whom, when, the SMS's delivery
record and the SHA-256 of exactly what was declared; a change afterwards asks for a new
signature; box 11 of the certificate and the acknowledgement print who signed, in what
capacity, for whom, and how (item 2)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from applications import declaration, selectors
from applications.declared import declared_sha256, declared_text, signature_current
from applications.models import Application, DeclarationSignature, LineItem
from applications.workflow import WorkflowError
from certificates.pdf import render_certificate
from certificates.selectors import application_for_certificate
from certificates.services import certificate_data_build
from core.durable.models import OutboxMessage
from tests import factories
from tests.accounts.agent_factories import kiran_logistics
from tests.accounts.conftest import code_from_sms
from tests.certificates.conftest import pdf_text

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def url(name: str, application: Application) -> str:
    return reverse(f"applications:{name}", args=[application.reference])


def fresh(application: Application) -> Application:
    return (
        Application.objects.select_related("firm", "agreement", "agency", "office")
        .prefetch_related("items", "invoices", "documents")
        .get(pk=application.pk)
    )


@pytest.fixture(autouse=True)
def alices_mobile(alice) -> None:
    """Alice registered with her mobile, verified then (the factory gives none)."""
    alice.mobile = "+919811112222"
    alice.save(update_fields=["mobile"])


@pytest.fixture
def unsigned(ready) -> Application:
    """Alice's ready draft, its declaration filled in but not signed."""
    DeclarationSignature.objects.filter(application=ready).delete()
    return ready


def send_code(client, application, capture) -> None:
    with capture(execute=True):
        response = client.post(url("declaration-sign", application), {"send": "1"})
    assert response.status_code == 302, response.content.decode()


def test_the_signatory_signs_with_the_code_sent_to_their_mobile_and_the_evidence_is_kept(
    alice, unsigned, sms_outbox, django_capture_on_commit_callbacks
):
    client = signed_in(alice)
    assert "sign the declaration with the code we send to your mobile" in (
        selectors.submission_problems(fresh(unsigned))
    )
    send_code(client, unsigned, django_capture_on_commit_callbacks)
    sms = sms_outbox[-1]
    assert sms.to == alice.mobile
    digest = declared_sha256(fresh(unsigned))
    assert unsigned.reference in sms.body
    assert digest[:8] in sms.body  # the document's fingerprint, as eSign shows it

    page = client.post(url("declaration-sign", unsigned), {"code": code_from_sms(sms_outbox)})
    assert page["Location"] == url("check", unsigned)

    signature = DeclarationSignature.objects.get(application=unsigned)
    assert signature.signer == alice
    assert signature.method == "sms_otp"
    assert signature.mobile == alice.mobile
    assert signature.on_behalf_of == "Alice Exports"
    assert signature.signed_at is not None
    # The delivery record: the outbox row that carried the SMS, sent.
    delivery = OutboxMessage.objects.get(pk=signature.delivery_outbox_id)
    assert delivery.task == "accounts.send_sms"
    assert delivery.sent_at is not None
    # The hash is of exactly the canonical text kept with it, and of the application now.
    assert signature.content_sha256 == hashlib.sha256(signature.content.encode()).hexdigest()
    assert signature.content_sha256 == digest
    facts = json.loads(signature.content)
    assert facts["reference"] == unsigned.reference
    assert [g["hs_code"] for g in facts["goods"]] == ["61091000"]
    assert signature_current(fresh(unsigned)) == signature
    assert selectors.signature_problem(fresh(unsigned)) == ""
    trail = unsigned.events.last().note
    assert trail.startswith("Declaration signed. Signed electronically by ")
    assert digest in trail


def test_a_change_after_signing_needs_a_new_signature(alice, ready):
    signed = declared_sha256(fresh(ready))
    assert signature_current(fresh(ready)) is not None

    item = ready.items.get()
    LineItem.objects.filter(pk=item.pk).update(gross_weight_kg="121.000")

    changed = fresh(ready)
    assert declared_sha256(changed) != signed
    assert signature_current(changed) is None
    problem = selectors.signature_problem(changed)
    assert problem.startswith("sign the declaration again: the application changed after")
    assert problem in selectors.submission_problems(changed)
    factories.PaymentFactory(application=ready)
    response = signed_in(alice).post(url("submit", ready), follow=True)
    assert "sign the declaration again" in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == "draft"

    factories.declaration_sign(ready)
    assert signature_current(fresh(ready)) is not None


def test_the_canonical_text_is_the_same_after_a_reload_and_names_every_fact(ready):
    first = declared_text(fresh(ready))
    # Decimals as the form gives them and as the database returns them hash alike.
    item = ready.items.get()
    item.gross_weight_kg = "120.5"
    item.save()
    assert declared_text(fresh(ready)) == first
    facts = json.loads(first)
    assert facts["version"] == "coo-declaration/1"
    assert facts["goods"][0]["gross_weight_kg"] == "120.5"
    assert facts["declaration_name"] == "Alice Shah"
    assert sorted(kind for kind, _ in facts["documents"]) == ["commercial_invoice", "packing_list"]


def test_a_code_does_not_sign_an_application_changed_after_it_was_sent(
    alice, unsigned, sms_outbox, django_capture_on_commit_callbacks
):
    client = signed_in(alice)
    send_code(client, unsigned, django_capture_on_commit_callbacks)
    factories.LineItemFactory(application=unsigned, position=2)
    with pytest.raises(WorkflowError, match="changed after the code was sent"):
        declaration.declaration_sign_confirm(
            application_id=unsigned.pk, signer=alice, code=code_from_sms(sms_outbox)
        )
    assert not DeclarationSignature.objects.filter(signed_at__isnull=False).exists()


def test_a_code_sent_for_another_application_does_not_sign_this_one(
    alice, unsigned, reference_data, sms_outbox, django_capture_on_commit_callbacks
):
    other = factories.ApplicationFactory(
        complete=True, exporter=alice, office=reference_data["eic_mumbai"]
    )
    client = signed_in(alice)
    send_code(client, unsigned, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        DeclarationSignature.objects.update(code_sent_at=timezone.now() - timedelta(minutes=2))
        with time_machine.travel(timezone.now() + timedelta(seconds=61)):
            declaration.declaration_sign_start(application_id=other.pk, signer=alice)
    with pytest.raises(WorkflowError, match="Ask for a code to sign this declaration first"):
        declaration.declaration_sign_confirm(
            application_id=unsigned.pk, signer=alice, code=code_from_sms(sms_outbox)
        )
    assert not DeclarationSignature.objects.filter(signed_at__isnull=False).exists()


def test_five_wrong_codes_use_the_code_up_and_a_code_expires_after_ten_minutes(
    alice, unsigned, sms_outbox, django_capture_on_commit_callbacks
):
    client = signed_in(alice)
    send_code(client, unsigned, django_capture_on_commit_callbacks)
    code = code_from_sms(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        page = client.post(url("declaration-sign", unsigned), {"code": wrong})
        assert page.status_code == 422
        assert "The code is not right" in page.content.decode()
    last = client.post(url("declaration-sign", unsigned), {"code": wrong})
    assert "that was the last try" in last.content.decode()
    used_up = client.post(url("declaration-sign", unsigned), {"code": code})
    assert used_up.status_code == 422
    assert not DeclarationSignature.objects.filter(signed_at__isnull=False).exists()

    # A new code, entered eleven minutes later, has expired.
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        send_code(client, unsigned, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=13)):
        outcome = declaration.declaration_sign_confirm(
            application_id=unsigned.pk, signer=alice, code=code_from_sms(sms_outbox)
        )
    assert outcome.signature is None
    assert "expired" in outcome.refused


def test_a_preparer_cannot_ask_for_a_code_or_sign(alice, unsigned):
    priya = factories.FirmMemberFactory(firm=alice.exporter_profile.iec_record, role="preparer")
    with pytest.raises(WorkflowError, match="Only a signatory or an administrator"):
        declaration.declaration_sign_start(application_id=unsigned.pk, signer=priya.user)
    response = signed_in(priya.user).get(url("declaration-sign", unsigned))
    assert response.status_code == 302


def test_the_esp_adapter_writes_the_esign_request_and_refuses_to_run(alice, ready):
    esp = declaration.ESPDeclarationSigner()
    digest = declared_sha256(fresh(ready))
    xml = esp.request_xml(
        asp_id="ASP-TEST",
        txn="TXN-1",
        digest=digest,
        doc_info=f"Declaration {ready.reference}",
        response_url="https://portal.example/esign/return",
    )
    assert xml.startswith('<Esign ver="2.1" sc="Y"')
    assert '<Docs><InputHash id="1" hashAlgorithm="SHA256"' in xml
    assert f">{digest}</InputHash></Docs></Esign>" in xml
    with pytest.raises(declaration.SignerUnavailable, match="not available"):
        esp.start(application=ready, signer=alice, digest=digest, mobile=alice.mobile)


# ---------------------------------------------------------------------------------------------
# Box 11 and the acknowledgement: who declared, in what capacity, for whom (item 2)
# ---------------------------------------------------------------------------------------------


def _box11(application: Application, officer, tmp_path: Path) -> str:
    Application.objects.filter(pk=application.pk).update(assigned_officer=officer)
    data = certificate_data_build(
        application=application_for_certificate(application_id=application.pk),
        number="EIC/2026/MUM/0000003",
        code="ABCD-EFGH",
        issued_at=timezone.now(),
    )
    path = tmp_path / "certificate.pdf"
    path.write_bytes(render_certificate(data))
    return pdf_text(path)


def test_box_11_names_the_exporters_signatory_and_how_they_signed(alice, ready, olivia, tmp_path):
    sam = factories.FirmMemberFactory(
        firm=alice.exporter_profile.iec_record,
        role="signatory",
        user__first_name="Sam",
        user__last_name="Iyer",
        user__mobile="+919820054321",
    ).user
    DeclarationSignature.objects.filter(application=ready).delete()
    factories.declaration_sign(ready, signer=sam)
    text = _box11(ready, olivia, tmp_path)
    assert (
        "Signed electronically by Sam Iyer, signatory of Alice Exports, with a code sent to "
        "+91 ******4321 on" in text
    )
    assert "Declared electronically by the exporter" not in text


def test_box_11_of_an_agents_application_names_the_broker_and_the_firm(
    alice, ready, olivia, tmp_path
):
    kiran = kiran_logistics(alice.exporter_profile.iec_record, alice)
    Application.objects.filter(pk=ready.pk).update(exporter=kiran.user, filed_by_agent=kiran.agent)
    DeclarationSignature.objects.filter(application=ready).delete()
    factories.declaration_sign(ready, signer=kiran.user)
    text = _box11(ready, olivia, tmp_path)
    assert (
        "Signed electronically by Kiran Rao, Kiran Logistics, customs broker, on behalf of "
        "Alice Exports, with a code sent to +91 ******0011 on" in text
    )
    assert "Declared electronically by the exporter" not in text


def _another_ready(alice, reference_data) -> Application:
    return factories.ApplicationFactory(
        complete=True, exporter=alice, office=reference_data["eic_mumbai"]
    )


def test_a_signatory_declares_two_applications_in_a_row_without_waiting(
    alice, unsigned, reference_data, sms_outbox, django_capture_on_commit_callbacks
):
    """Issue 33: the one-minute wait is per application, not per person."""
    other = _another_ready(alice, reference_data)
    client = signed_in(alice)
    for application in (unsigned, other):
        send_code(client, application, django_capture_on_commit_callbacks)
        signed = client.post(
            url("declaration-sign", application), {"code": code_from_sms(sms_outbox)}
        )
        assert signed["Location"] == url("check", application)
    assert DeclarationSignature.objects.filter(signed_at__isnull=False).count() == 2


def test_a_new_code_for_the_same_application_waits_a_minute(
    alice, unsigned, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        declaration.declaration_sign_start(application_id=unsigned.pk, signer=alice)
    with pytest.raises(WorkflowError, match=f"A code for {unsigned.reference} was sent less"):
        declaration.declaration_sign_start(application_id=unsigned.pk, signer=alice)
    with (
        django_capture_on_commit_callbacks(execute=True),
        time_machine.travel(timezone.now() + timedelta(seconds=61)),
    ):
        declaration.declaration_sign_start(application_id=unsigned.pk, signer=alice)
    assert DeclarationSignature.objects.filter(application=unsigned).count() == 2


def test_a_person_asks_for_a_limited_number_of_codes_an_hour_whatever_the_applications(
    alice, unsigned, reference_data, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(declaration, "DECLARATION_CODES_PER_HOUR", 2)
    others = [_another_ready(alice, reference_data) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        for application in (unsigned, others[0]):
            declaration.declaration_sign_start(application_id=application.pk, signer=alice)
    with pytest.raises(WorkflowError, match="at most 2 codes an hour"):
        declaration.declaration_sign_start(application_id=others[1].pk, signer=alice)


def test_the_declaration_waits_for_the_documents_checks_and_says_so(
    alice, unsigned, sms_outbox, django_capture_on_commit_callbacks
):
    """Issue 33: a signature made while an upload is being checked would not cover it and
    would have to be made again: the page says the checks are running and offers no code."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.models import UploadCheck
    from applications.tasks import upload_check_task
    from tests.applications.conftest import tiny_pdf

    client = signed_in(alice)
    client.post(  # the worker not run yet: its on-commit publish is not executed
        url("documents", unsigned),
        {"kind": "other", "file": SimpleUploadedFile("certificate-of-analysis.pdf", tiny_pdf())},
    )
    check = UploadCheck.objects.get()
    page = client.get(url("declaration-sign", unsigned)).content.decode()
    assert "Your documents are still being checked" in page
    assert "certificate-of-analysis.pdf" in page
    assert 'name="send"' not in page  # no code is offered
    refused = client.post(url("declaration-sign", unsigned), {"send": "1"}, follow=True)
    assert "still being checked (certificate-of-analysis.pdf)" in refused.content.decode()
    assert sms_outbox == []
    assert not DeclarationSignature.objects.filter(application=unsigned).exists()

    with django_capture_on_commit_callbacks(execute=True):
        upload_check_task.apply(args=[check.pk])
    page = client.get(url("declaration-sign", unsigned)).content.decode()
    assert "still being checked" not in page
    send_code(client, unsigned, django_capture_on_commit_callbacks)
    signed = client.post(url("declaration-sign", unsigned), {"code": code_from_sms(sms_outbox)})
    assert signed["Location"] == url("check", unsigned)
    facts = json.loads(DeclarationSignature.objects.get(application=unsigned).content)
    check.refresh_from_db()
    assert ["other", check.document.sha256] in facts["documents"]  # the signature covers it


def test_a_code_sent_before_an_upload_does_not_sign_while_it_is_checked(
    alice, unsigned, sms_outbox, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.applications.conftest import tiny_pdf

    client = signed_in(alice)
    send_code(client, unsigned, django_capture_on_commit_callbacks)
    client.post(
        url("documents", unsigned),
        {"kind": "other", "file": SimpleUploadedFile("late.pdf", tiny_pdf())},
    )
    with pytest.raises(WorkflowError, match="still being checked"):
        declaration.declaration_sign_confirm(
            application_id=unsigned.pk, signer=alice, code=code_from_sms(sms_outbox)
        )
