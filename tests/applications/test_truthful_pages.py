"""Truthful exporter pages: the rejection banner at the top, each certificate's own status in
My applications and its search, true timeline labels, and "The payment failed"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from applications import workflow
from applications.models import ApplicationEvent, Status
from certificates.models import Certificate
from tests import factories

pytestmark = pytest.mark.django_db

REASON = "The goods are not of Indian origin under the AIFTA rules."


def issued(alice, office, officer, n, status="valid", **fields):
    application = factories.ApplicationFactory(
        exporter=alice, office=office, status=Status.ISSUED, **fields
    )
    return Certificate.objects.create(
        application=application,
        number=f"EIC/2026/MUM/{n:07d}",
        verification_code=f"CODE{n:012d}",
        office=office,
        year=2026,
        sequence=n,
        pdf=f"certificates/{n}.pdf",
        sha256=f"{n:064d}",
        issued_at=timezone.now(),
        signing_officer=officer,
        status=status,
        revocation_reason=REASON if status == "revoked" else "",
    )


def test_a_rejection_has_a_banner_with_its_reason_above_everything_else(
    alice, alice_client, ready, olivia
):
    factories.PaymentFactory(application=ready)
    workflow.application_submit(application_id=ready.pk, exporter=alice)
    workflow.application_start_review(application_id=ready.pk, officer=olivia)
    workflow.application_reject(application_id=ready.pk, officer=olivia, reason=REASON)

    page = alice_client.get(reverse("applications:detail", args=[ready.reference]))
    html = page.content.decode()

    assert "rejected this application" in html
    banner = html.index('aria-label="Application rejected"')
    assert html.index(REASON) > banner
    # The banner comes before the summary and the timeline, where the reason also appears.
    assert banner < html.index("<h2>History</h2>")
    assert banner < html.index("Copy as new application")


def test_no_rejection_banner_on_other_applications(alice_client, ready):
    html = alice_client.get(reverse("applications:detail", args=[ready.reference])).content
    assert b"rejected this application" not in html


def test_my_applications_shows_each_certificates_own_status(
    alice, alice_client, eic_mumbai, olivia, django_assert_max_num_queries
):
    issued(alice, eic_mumbai, olivia, 1, "valid")
    issued(alice, eic_mumbai, olivia, 2, "revoked")
    issued(alice, eic_mumbai, olivia, 3, "superseded")

    with django_assert_max_num_queries(8):
        html = alice_client.get(reverse("applications:list")).content.decode()

    for status, label in [("valid", "Valid"), ("revoked", "Revoked"), ("superseded", "Superseded")]:
        assert f'<strong class="tag tag--{status}">{label}</strong>' in html
    assert ">Issued</strong>" not in html


def test_the_list_costs_the_same_queries_for_one_or_thirty_certificates(
    alice, alice_client, eic_mumbai, olivia, django_assert_num_queries
):
    issued(alice, eic_mumbai, olivia, 1)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        alice_client.get(reverse("applications:list"))
    for n in range(2, 31):
        issued(alice, eic_mumbai, olivia, n)
    with django_assert_num_queries(len(one.captured_queries)):
        alice_client.get(reverse("applications:list"))


@pytest.mark.parametrize(
    "query", ["EIC/2026/MUM/0000002", "0000002", "Jakarta Imports", "jakarta", "INV-B-77"]
)
def test_my_applications_finds_by_certificate_number_consignee_or_invoice(
    alice, alice_client, eic_mumbai, olivia, query
):
    one = issued(alice, eic_mumbai, olivia, 1, consignee_name="Osaka Trading")
    two = issued(alice, eic_mumbai, olivia, 2, consignee_name="PT Jakarta Imports")
    factories.InvoiceFactory(application=one.application, number="INV-A-11")
    factories.InvoiceFactory(application=two.application, number="INV-B-77")

    html = alice_client.get(reverse("applications:list"), {"q": query}).content.decode()

    assert two.application.reference in html
    assert one.application.reference not in html


def test_the_search_never_finds_another_firms_certificate(
    alice, bob, bob_client, eic_mumbai, olivia
):
    issued(alice, eic_mumbai, olivia, 1, consignee_name="PT Jakarta Imports")
    html = bob_client.get(reverse("applications:list"), {"q": "Jakarta"}).content.decode()
    assert "No applications match" in html


def test_a_revocation_is_labelled_as_one_in_the_timeline(
    alice, alice_client, eic_mumbai, olivia, ada
):
    certificate = issued(alice, eic_mumbai, olivia, 1)
    ApplicationEvent.objects.create(
        application=certificate.application,
        kind=ApplicationEvent.Kind.MESSAGE,
        actor=ada,
        note=f"Certificate {certificate.number} revoked: {REASON}",
    )
    url = reverse("applications:detail", args=[certificate.application.reference])
    html = alice_client.get(url).content.decode()
    assert "<strong>Certificate revoked</strong>" in html
    assert "<strong>Message</strong>" not in html


def test_a_release_is_not_labelled_submitted(olivia):
    event = ApplicationEvent(
        kind=ApplicationEvent.Kind.TRANSITION,
        from_status=Status.UNDER_REVIEW,
        to_status=Status.SUBMITTED,
        actor=olivia,
    )
    assert event.label == "Released to the queue"


def test_a_failed_payment_says_the_payment_failed(alice_client, ready):
    alice_client.post(reverse("applications:pay", args=[ready.reference]))
    payment = ready.payments.get()
    back = alice_client.post(
        reverse("applications:payment-sandbox", args=[payment.order_id]), {"outcome": "failed"}
    )
    html = alice_client.get(back["Location"], follow=True).content.decode()
    assert "The payment failed: nothing was charged." in html
    assert "was failed" not in html
