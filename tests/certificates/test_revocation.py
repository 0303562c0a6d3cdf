"""Revocation: the agency withdraws an issued certificate, with a reason, and says so."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse

from applications.models import ApplicationEvent
from certificates.models import Certificate
from certificates.services import CertificateError, certificate_revoke
from tests import factories
from tests.clients import exporter_client, verified_client

from .factories import application_under_review, issued_certificate

pytestmark = pytest.mark.django_db

REASON = "Goods found to be of non-originating content on inspection."


@pytest.fixture
def alice(alice):
    alice.mobile = "+919812345678"
    alice.save(update_fields=["mobile"])
    return alice


@pytest.fixture
def certificate(alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks):
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    return issued_certificate(application, django_capture_on_commit_callbacks)


def revoke_url(certificate: Certificate) -> str:
    return reverse("certificates:revoke", args=[certificate.number])


def test_the_agency_administrator_revokes_with_a_reason_and_the_exporter_is_told(
    certificate, ada, alice, django_capture_on_commit_callbacks, sms_outbox
):
    mail.outbox.clear()
    client = verified_client(ada)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(revoke_url(certificate), {"reason": REASON})

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "revoked"
    assert certificate.revocation_reason == REASON
    assert certificate.revoked_by == ada
    assert certificate.revoked_at is not None
    [email] = [m for m in mail.outbox if "revoked" in m.subject]
    assert email.to == [alice.email]
    assert REASON in email.body
    assert any(certificate.number in s.body and "revoked" in s.body for s in sms_outbox)
    assert ApplicationEvent.objects.filter(
        application=certificate.application, actor=ada, note__contains=REASON
    ).exists()


def test_the_confirmation_page_asks_for_the_reason(certificate, ada):
    client = verified_client(ada)

    page = client.get(revoke_url(certificate))
    refused = client.post(revoke_url(certificate), {"reason": "   "})

    assert page.status_code == 200
    assert "Reason for revoking" in page.content.decode()
    assert refused.status_code == 200
    assert "There is a problem" in refused.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == "valid"


def test_an_officer_needs_the_revoke_permission(certificate, olivia, eic_mumbai):
    client = verified_client(olivia)

    refused = client.post(revoke_url(certificate), {"reason": REASON})
    assert refused.status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == "valid"

    olivia.user_permissions.add(Permission.objects.get(codename="revoke_certificate"))
    olivia = type(olivia).objects.get(pk=olivia.pk)  # forget the cached permissions
    certificate_revoke(certificate_id=certificate.pk, actor=olivia, reason=REASON)
    certificate.refresh_from_db()
    assert certificate.status == "revoked"


def test_staff_of_another_agency_cannot_see_or_revoke_it(certificate, fieo_delhi):
    fieo_admin = factories.OfficerFactory(
        role="agency_admin",
        officer_profile__agency=fieo_delhi.agency,
        officer_profile__office=fieo_delhi,
    )

    assert verified_client(fieo_admin).get(revoke_url(certificate)).status_code == 404
    with pytest.raises(CertificateError):
        certificate_revoke(certificate_id=certificate.pk, actor=fieo_admin, reason=REASON)


def test_exporters_get_404_on_the_revoke_page(certificate, alice, bob):
    assert exporter_client(alice).get(revoke_url(certificate)).status_code == 404
    assert exporter_client(bob).post(revoke_url(certificate), {"reason": "x"}).status_code == 404


def test_a_revoked_certificate_cannot_be_revoked_again(certificate, ada):
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason=REASON)

    with pytest.raises(CertificateError, match="only a valid certificate"):
        certificate_revoke(certificate_id=certificate.pk, actor=ada, reason="again")


def test_the_application_page_shows_the_revocation_with_reason_and_date(certificate, ada, alice):
    certificate_revoke(certificate_id=certificate.pk, actor=ada, reason=REASON)

    page = exporter_client(alice).get(
        reverse("applications:detail", args=[certificate.application.reference])
    )

    html = page.content.decode()
    assert 'data-certificate-status="revoked"' in html
    assert REASON in html
    assert "Request a corrected certificate" not in html


def test_the_admin_action_revokes_after_asking_for_a_reason(
    certificate, ada, django_capture_on_commit_callbacks
):
    client = verified_client(ada)
    changelist = reverse("admin:certificates_certificate_changelist")
    selected = {"action": "revoke", "_selected_action": [certificate.pk]}

    confirm = client.post(changelist, selected)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(changelist, {**selected, "reason": REASON})

    assert confirm.status_code == 200
    assert "Reason for revoking" in confirm.content.decode()
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == "revoked"


def _offers_the_revoke_action(user) -> bool:
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = type(user).objects.get(pk=user.pk)  # permissions read afresh
    return "revoke" in site._registry[Certificate].get_actions(request)


@pytest.mark.parametrize(
    ("who", "role", "agency", "permitted", "offered"),
    [
        ("agency administrator", "agency_admin", True, False, True),
        ("officer with the permission", "officer", True, True, True),
        ("officer without it", "officer", True, False, False),
        ("operator with the permission but no agency", "operator", False, True, False),
    ],
)
def test_the_admin_offers_revocation_by_the_one_rule(
    eic_mumbai, who, role, agency, permitted, offered
):
    """Issue 25: the admin asks accounts.permissions.may_revoke; it had its own, wider rule."""
    if agency:
        user = factories.OfficerFactory(
            role=role,
            is_staff=True,
            officer_profile__agency=eic_mumbai.agency,
            officer_profile__office=eic_mumbai,
        )
    else:
        user = factories.UserFactory(role=role, is_staff=True)
    if permitted:
        user.user_permissions.add(Permission.objects.get(codename="revoke_certificate"))

    assert _offers_the_revoke_action(user) is offered, who
