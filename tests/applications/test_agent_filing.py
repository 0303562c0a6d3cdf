"""Issue 13, acceptance 2: an agent authorised by two IECs files for both; each firm sees only
its own; the application, its certificate, its timeline, the acknowledgement and the officer's
page say "filed by <agent> for <firm>"; once one authorisation is withdrawn the agent gets a 404
on that firm's applications and certificates (and keeps the other's)."""

from __future__ import annotations

import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import agents, firms
from accounts.models import AgentAuthorisation
from applications import services
from applications.models import Application, ApplicationEvent, Status
from applications.notifications import notify
from applications.workflow import WorkflowError
from tests import factories
from tests.accounts.agent_factories import AgentAuthorisationFactory, kiran_logistics
from tests.clients import otp_device
from tests.verification.factories import CertificateFactory, notification_extra

from .conftest import signed_in

pytestmark = pytest.mark.django_db

FILED_FOR_ALICE = "Filed by Kiran Logistics for Alice Exports"


@pytest.fixture
def kiran(alice, bob):
    """Kiran Logistics' staff, authorised now by Alice's firm and by Bob's."""
    staff = kiran_logistics(alice.exporter_profile.iec_record, alice)
    AgentAuthorisationFactory(
        firm=bob.exporter_profile.iec_record, agent=staff.agent, granted_by=bob
    )
    return staff.user


def choose(client: Client, firm) -> None:
    response = client.post(reverse("accounts:acting-for"), {"firm": firm.pk})
    assert response.status_code == 302, response.content.decode()


def file_one(client: Client, firm, office, capture) -> Application:
    """Kiran chooses the IEC, starts an application, and (its sections filled in by the test)
    submits it with the Django client."""
    choose(client, firm)
    response = client.post(
        reverse("applications:new"),
        {
            "firm": firm.pk,
            "certificate_type": "non_preferential",
            "destination_country": "AE",
            "office": office.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()
    application = Application.objects.latest("pk")
    Application.objects.filter(pk=application.pk).update(
        consignee_name="Gulf Textiles LLC",
        consignee_address="Deira, Dubai",
        consignee_country="AE",
        transport_mode="sea",
        vessel_or_flight="MV Kota Ratu",
        port_of_loading="Nhava Sheva",
        port_of_discharge="Jebel Ali",
        departure_date="2030-01-15",
        declaration_name="Kiran Rao",
        declaration_designation="Authorised agent",
        declaration_place="Mumbai",
        declaration_date="2030-01-10",
        declaration_accepted=True,
    )
    factories.InvoiceFactory(application=application)
    factories.LineItemFactory(application=application)
    factories.DocumentFactory(application=application, kind="commercial_invoice")
    factories.DocumentFactory(application=application, kind="packing_list")
    factories.PaymentFactory(application=application)
    factories.declaration_sign(application)  # by Kiran, who filed it
    with capture(execute=True):
        response = client.post(reverse("applications:submit", args=[application.reference]))
    assert response["Location"] == reverse(
        "applications:confirmation", args=[application.reference]
    )
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    return application


def detail(application: Application) -> str:
    return reverse("applications:detail", args=[application.reference])


def test_an_agent_files_for_two_firms_each_sees_its_own_and_a_withdrawal_ends_the_agents_view(
    alice,
    bob,
    kiran,
    eic_mumbai,
    olivia,
    reference_data,
    mail_outbox,
    django_capture_on_commit_callbacks,
):
    alice_firm, bob_firm = alice.exporter_profile.iec_record, bob.exporter_profile.iec_record
    agent_client = signed_in(kiran)
    for_alice = file_one(agent_client, alice_firm, eic_mumbai, django_capture_on_commit_callbacks)
    submitted_mail = {m.to[0]: m.body for m in mail_outbox}
    for_bob = file_one(agent_client, bob_firm, eic_mumbai, django_capture_on_commit_callbacks)

    # Both filed by Kiran, each for its own firm.
    assert (for_alice.firm, for_alice.exporter, for_alice.filed_by_agent.name) == (
        alice_firm,
        kiran,
        "Kiran Logistics",
    )
    assert for_bob.firm == bob_firm
    assert for_bob.filed_by_agent == for_alice.filed_by_agent
    assert for_alice.submitted_as == "agent's staff, Kiran Logistics"  # kept as submitted
    created = ApplicationEvent.objects.get(application=for_alice, to_status=Status.DRAFT)
    assert created.note == f"Application started. {FILED_FOR_ALICE}."

    # The submission told Kiran, and Alice (her firm's administrator), naming the agent.
    assert set(submitted_mail) == {kiran.email, alice.email}
    assert f"{FILED_FOR_ALICE}." in submitted_mail[alice.email]
    assert "Dear Alice Exports" in submitted_mail[alice.email]

    # Each firm sees only its own.
    alice_client, bob_client = signed_in(alice), signed_in(bob)
    alice_list = alice_client.get(reverse("applications:list")).content.decode()
    bob_list = bob_client.get(reverse("applications:list")).content.decode()
    assert for_alice.reference in alice_list
    assert for_bob.reference not in alice_list
    assert for_bob.reference in bob_list
    assert for_alice.reference not in bob_list
    assert alice_client.get(detail(for_bob)).status_code == 404
    assert bob_client.get(detail(for_alice)).status_code == 404
    page = alice_client.get(detail(for_alice)).content.decode()
    assert FILED_FOR_ALICE in page
    assert "Kiran Rao of Kiran Logistics" in page  # the timeline's actor

    # The agent's list, every firm at once, with the IEC of each.
    every = agent_client.get(reverse("applications:list") + "?all=1").content.decode()
    assert for_alice.reference in every
    assert for_bob.reference in every
    assert alice_firm.iec in every
    assert bob_firm.iec in every

    # The acknowledgement (page and PDF) and the officer's review page name the agent.
    ack = reverse("applications:acknowledgement", args=[for_alice.reference])
    ack_page = " ".join(alice_client.get(ack).content.decode().split())
    assert FILED_FOR_ALICE in ack_page
    pdf = alice_client.get(reverse("applications:acknowledgement-pdf", args=[for_alice.reference]))
    text = subprocess.run(
        ["/usr/bin/pdftotext", "-layout", "-", "-"],
        input=pdf.content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert "Kiran Logistics for Alice Exports" in text
    # Issue 33, item 2: who declared, in what capacity, for whom, and how (page and PDF).
    declared = (
        "Signed electronically by Kiran Rao, Kiran Logistics, customs broker, on behalf of "
        "Alice Exports, with a code sent to +91 ******0011 on"
    )
    assert declared in ack_page
    assert declared in " ".join(text.split())
    officer = Client()
    officer.force_login(olivia)
    session = officer.session
    session[DEVICE_ID_SESSION_KEY] = otp_device(olivia).persistent_id
    session.save()
    review = officer.get(reverse("officer:review", args=[for_alice.reference])).content.decode()
    assert FILED_FOR_ALICE in review

    # A certificate of each firm's (issued on applications the agent filed).
    alice_cert = CertificateFactory(
        application__reference="COO-2025-000901",
        application__exporter=kiran,
        application__firm=alice_firm,
        application__filed_by_agent=for_alice.filed_by_agent,
        application__office=eic_mumbai,
    )
    bob_cert = CertificateFactory(
        application__reference="COO-2025-000902",
        application__exporter=kiran,
        application__firm=bob_firm,
        application__filed_by_agent=for_alice.filed_by_agent,
        application__office=eic_mumbai,
    )

    def download(client: Client, certificate) -> int:
        return client.get(reverse("certificates:download", args=[certificate.number])).status_code

    assert download(agent_client, alice_cert) == 200
    assert download(agent_client, bob_cert) == 200
    assert download(alice_client, alice_cert) == 200
    assert download(alice_client, bob_cert) == 404
    assert download(bob_client, bob_cert) == 200
    assert download(bob_client, alice_cert) == 404
    certificate_page = alice_client.get(detail(alice_cert.application)).content.decode()
    assert alice_cert.number in certificate_page
    assert FILED_FOR_ALICE in certificate_page

    # Alice's firm withdraws the authorisation: at once, Kiran sees nothing of Alice's firm.
    authorisation = for_alice.filed_by_agent.authorisations.get(firm=alice_firm)
    agents.authorisation_withdraw(by=alice, authorisation_id=authorisation.pk)
    for name in ("detail", "acknowledgement", "receipt", "withdraw", "acknowledgement-pdf"):
        url = reverse(f"applications:{name}", args=[for_alice.reference])
        assert agent_client.get(url).status_code == 404, name
    assert download(agent_client, alice_cert) == 404
    assert agent_client.get(detail(alice_cert.application)).status_code == 404
    assert (
        agent_client.get(reverse("certificates:credential", args=[alice_cert.number])).status_code
        == 404
    )
    assert (
        agent_client.post(reverse("applications:copy", args=[for_alice.reference])).status_code
        == 404
    )
    remaining = agent_client.get(reverse("applications:list")).content.decode()
    assert for_alice.reference not in remaining
    assert for_bob.reference in remaining
    assert download(agent_client, bob_cert) == 200
    # The switcher no longer offers Alice's IEC, and will not take it.
    choose(agent_client, bob_firm)
    response = agent_client.post(reverse("accounts:acting-for"), {"firm": alice_firm.pk})
    assert response.status_code == 200
    assert agent_client.session[firms.ACTING_FIRM_SESSION_KEY] == bob_firm.pk
    # Alice still sees everything her agent filed.
    assert alice_client.get(detail(for_alice)).status_code == 200
    assert download(alice_client, alice_cert) == 200


def test_an_agent_cannot_start_an_application_for_a_firm_that_does_not_authorise_it(
    alice, bob, reference_data, eic_mumbai
):
    staff = kiran_logistics(alice.exporter_profile.iec_record, alice)
    client = signed_in(staff.user)
    # A forged session key for Bob's firm is ignored: Alice's is the only one in force.
    session = client.session
    session[firms.ACTING_FIRM_SESSION_KEY] = bob.exporter_profile.iec_record.pk
    session.save()
    start = {"certificate_type": "non_preferential", "destination_country": "AE"}
    start["office"] = eic_mumbai.pk
    refused = client.post(
        reverse("applications:new"), {**start, "firm": bob.exporter_profile.iec_record.pk}
    )
    assert "That firm does not authorise you now" in refused.content.decode()
    assert not Application.objects.exists()
    client.post(
        reverse("applications:new"), {**start, "firm": alice.exporter_profile.iec_record.pk}
    )
    assert Application.objects.get().firm == alice.exporter_profile.iec_record


def test_an_agent_whose_authorisation_by_the_chosen_firm_is_withdrawn_is_asked_again(
    alice, bob, reference_data, eic_mumbai
):
    """Kiran files for Bob; Bob withdraws the authorisation; Kiran's next application is not
    put in Alice's firm (the only one left) without asking: the start form asks which firm."""
    staff = kiran_logistics(alice.exporter_profile.iec_record, alice)
    bob_firm = bob.exporter_profile.iec_record
    for_bob = AgentAuthorisationFactory(firm=bob_firm, agent=staff.agent, granted_by=bob)
    client = signed_in(staff.user)
    choose(client, bob_firm)
    AgentAuthorisation.objects.filter(pk=for_bob.pk).update(withdrawn_at=timezone.now())

    start = {"certificate_type": "non_preferential", "destination_country": "AE"}
    start["office"] = eic_mumbai.pk
    refused = client.post(reverse("applications:new"), start)
    assert refused.status_code == 200
    assert "Choose the firm (IEC) you are filing for." in refused.content.decode()
    assert not Application.objects.exists()
    with pytest.raises(WorkflowError):  # nor does the service pick one
        services.application_create(
            exporter=staff.user,
            certificate_type="non_preferential",
            agreement=None,
            destination_country="AE",
            agency=eic_mumbai.agency,
            office=eic_mumbai,
        )

    page = client.get(reverse("applications:new")).content.decode()
    assert bob_firm.firm_name not in page
    client.post(
        reverse("applications:new"), {**start, "firm": alice.exporter_profile.iec_record.pk}
    )
    assert Application.objects.get().firm == alice.exporter_profile.iec_record


def kirans_application(alice, office, **fields):  # type: ignore[no-untyped-def]
    """Kiran Logistics' staff (authorised by Alice's firm) and an application they filed."""
    staff = kiran_logistics(alice.exporter_profile.iec_record, alice)
    application = factories.ApplicationFactory(
        exporter=staff.user,
        firm=alice.exporter_profile.iec_record,
        filed_by_agent=staff.agent,
        office=office,
        **fields,
    )
    return staff, application


@pytest.mark.parametrize("event", ["submitted", "approved", "rejected", "issued"])
def test_the_firms_administrators_hear_of_what_its_agent_filed_and_the_page_says_so(
    event, alice, eic_mumbai, mail_outbox, django_capture_on_commit_callbacks
):
    staff, application = kirans_application(alice, eic_mumbai)
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify(event, application, **notification_extra(event, application))
    assert {m.to[0] for m in mail_outbox} == {staff.user.email, alice.email}
    to_alice = next(m for m in mail_outbox if m.to == [alice.email])
    assert to_alice.body.startswith("Dear Alice Exports,")
    assert f"{FILED_FOR_ALICE}." in to_alice.body
    assert ", administrator of Alice Exports, has been told by email." in (
        sent.message_for(staff.user)
    )


def test_an_application_the_firm_filed_itself_tells_nobody_else(
    alice, eic_mumbai, mail_outbox, django_capture_on_commit_callbacks
):
    application = factories.ApplicationFactory(exporter=alice, office=eic_mumbai)
    with django_capture_on_commit_callbacks(execute=True):
        sent = notify("submitted", application)
    assert [m.to for m in mail_outbox] == [[alice.email]]
    assert "administrator" not in sent.message_for(alice)


def test_an_administrator_who_submitted_the_agents_draft_is_written_to_once(
    alice, eic_mumbai, mail_outbox, django_capture_on_commit_callbacks
):
    # The firm's administrator submitted what its agent drafted.
    staff, application = kirans_application(alice, eic_mumbai, submitted_by=alice)
    with django_capture_on_commit_callbacks(execute=True):
        notify("approved", application)
    assert sorted(m.to[0] for m in mail_outbox) == sorted([staff.user.email, alice.email])
