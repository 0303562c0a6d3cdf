"""Issue 31: an agency administrator sees their agency's payments and the verification log of
its certificates in admin (403 before: the narrow permission set lacked both), nothing of
another agency's; the exporter sees when and by which channel its certificates were checked,
never from where."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.admin_scope import AGENCY_ADMIN_PERMISSIONS
from applications.models import Payment
from tests.clients import exporter_client, verified_client
from tests.verification.factories import CertificateFactory
from verification.models import VerificationLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_client(ada):
    ada.user_permissions.set(Permission.objects.filter(codename__in=AGENCY_ADMIN_PERMISSIONS))
    return verified_client(ada)


def certificate_of(exporter, office):
    return CertificateFactory(application__exporter=exporter, application__office=office)


def payment_for(application):
    return Payment.objects.create(
        application=application,
        order_id=f"ORD-{application.reference}",
        amount="200.00",
        state=Payment.State.CAPTURED,
        gateway="test",
        captured_at=timezone.now(),
    )


def lookup(certificate, channel=VerificationLog.Channel.QR):
    return VerificationLog.objects.create(
        certificate=certificate,
        channel=channel,
        outcome=VerificationLog.Outcome.FOUND,
        client_hash="c0ffee" * 10,
    )


def listed(client, name: str) -> set[int]:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


def test_an_agency_administrator_sees_the_agencys_payments_and_no_other(
    ada_client, alice, bob, eic_mumbai, fieo_delhi
):
    ours = payment_for(certificate_of(alice, eic_mumbai).application)
    theirs = payment_for(certificate_of(bob, fieo_delhi).application)

    assert listed(ada_client, "admin:applications_payment_changelist") == {ours.pk}
    change = reverse("admin:applications_payment_change", args=[theirs.pk])
    assert ada_client.get(change).status_code == 404
    assert (
        ada_client.get(reverse("admin:applications_payment_change", args=[ours.pk])).status_code
        == 200
    )


def test_an_agency_administrator_sees_the_log_of_the_agencys_certificates_only(
    ada_client, alice, bob, eic_mumbai, fieo_delhi
):
    ours = lookup(certificate_of(alice, eic_mumbai))
    theirs = lookup(certificate_of(bob, fieo_delhi))

    assert listed(ada_client, "admin:verification_verificationlog_changelist") == {ours.pk}
    change = reverse("admin:verification_verificationlog_change", args=[theirs.pk])
    assert ada_client.get(change).status_code == 404


def test_the_exporter_sees_when_and_how_its_certificate_was_checked_but_not_from_where(
    alice, eic_mumbai
):
    certificate = certificate_of(alice, eic_mumbai)
    lookup(certificate, VerificationLog.Channel.QR)
    lookup(certificate, VerificationLog.Channel.API)

    page = exporter_client(alice).get(
        reverse("applications:detail", args=[certificate.application.reference])
    )

    html = page.content.decode()
    assert "When and how it was checked" in html
    assert '<td data-label="How">QR link</td>' in html
    assert '<td data-label="How">API</td>' in html
    assert "c0ffee" not in html


def test_the_exporter_sees_no_table_before_any_check(alice, eic_mumbai):
    certificate = certificate_of(alice, eic_mumbai)
    page = exporter_client(alice).get(
        reverse("applications:detail", args=[certificate.application.reference])
    )
    html = page.content.decode()
    assert "Checked by verifiers" in html
    assert "When and how it was checked" not in html
