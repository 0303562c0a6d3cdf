"""Downloading the signed PDF: the stored bytes, unchanged, for the owner and the agency only."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from core.storage import StoredFileCorruptedError
from tests.clients import exporter_client, verified_client
from tests.factories import pdf_bytes

from .factories import application_under_review, issued_certificate

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


@pytest.fixture
def certificate(alice, olivia, eic_mumbai, eic_key, django_capture_on_commit_callbacks):
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    return issued_certificate(application, django_capture_on_commit_callbacks)


def url(key: str) -> str:
    return reverse("certificates:download", args=[key])


def test_the_exporter_downloads_the_stored_file_byte_for_byte(certificate, alice):
    client = exporter_client(alice)

    first = client.get(url(certificate.number))
    second = client.get(url(certificate.number))

    assert first.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == (f'attachment; filename="EIC-{YEAR}-MUM-0000001.pdf"')
    assert first.content == second.content == pdf_bytes(certificate)
    assert hashlib.sha256(first.content).hexdigest() == certificate.sha256


def test_the_application_reference_finds_the_certificate_too(certificate, alice):
    response = exporter_client(alice).get(url(certificate.application.reference))

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == certificate.sha256


def test_a_verified_officer_of_the_agency_can_open_it(certificate, olivia):
    response = verified_client(olivia).get(url(certificate.number))

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == certificate.sha256


@pytest.mark.parametrize("persona", ["bob", "oscar"])
def test_a_second_exporter_and_an_officer_of_another_agency_get_404(certificate, persona, request):
    user = request.getfixturevalue(persona)
    client = verified_client(user) if user.is_officer else exporter_client(user)

    assert client.get(url(certificate.number)).status_code == 404
    assert client.get(url(certificate.application.reference)).status_code == 404


def test_an_officer_without_the_second_factor_gets_404(certificate, olivia):
    assert exporter_client(olivia).get(url(certificate.number)).status_code == 404


def test_an_unknown_number_is_404_like_anybody_elses(alice, eic_mumbai):
    assert exporter_client(alice).get(url(f"EIC/{YEAR}/MUM/0999999")).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(certificate, client):
    response = client.get(url(certificate.number))

    assert response.status_code == 302
    assert "/accounts/" in response["Location"] or "login" in response["Location"]


def test_a_stored_file_that_changed_is_never_served(certificate, alice):
    name = certificate.pdf.name
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(b"%PDF-1.7 a different file")) == name
    client = exporter_client(alice)
    client.raise_request_exception = True

    with pytest.raises(StoredFileCorruptedError):
        client.get(url(certificate.number))


def test_the_certificate_panel_costs_five_queries(
    certificate, alice, rf, django_assert_num_queries
):
    from django.template import Context, Template

    request = rf.get("/")
    request.user = alice
    template = Template("{% load certificates_tags %}{% certificate_panel application %}")
    application = certificate.application

    # certificate, the lookups' times (counted up to a bound), the latest checks, open
    # correction, and the person's firm access (read once per request)
    with django_assert_num_queries(5):
        html = template.render(Context({"application": application, "request": request}))

    assert certificate.number in html


def test_a_certificate_looked_up_past_the_bound_says_more_than_and_reads_no_more(
    certificate, alice, rf, django_assert_num_queries
):
    """The panel reads at most 1,001 log entries, whatever the log holds (issue 34)."""
    from django.template import Context, Template

    from certificates.selectors import VERIFICATION_COUNT_LIMIT
    from verification.models import VerificationLog

    VerificationLog.objects.bulk_create(
        VerificationLog(certificate=certificate, channel="qr", outcome="found", client_hash="x")
        for _ in range(VERIFICATION_COUNT_LIMIT + 5)
    )
    request = rf.get("/")
    request.user = alice
    template = Template("{% load certificates_tags %}{% certificate_panel application %}")
    application = certificate.application

    with django_assert_num_queries(5):
        html = template.render(Context({"application": application, "request": request}))

    newest = timezone.localtime(VerificationLog.objects.order_by("-created_at").first().created_at)
    assert f"More than 1,000 times, last on {newest:%-d %b %Y}" in html


def test_a_certificate_looked_up_a_few_times_says_how_often(certificate, alice):
    from verification.models import VerificationLog

    VerificationLog.objects.bulk_create(
        VerificationLog(certificate=certificate, channel="api", outcome="found", client_hash="x")
        for _ in range(3)
    )
    page = reverse("applications:detail", args=[certificate.application.reference])
    html = exporter_client(alice).get(page).content.decode()

    assert "3 times, last on" in html
