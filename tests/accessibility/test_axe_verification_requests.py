"""The accessibility audit of the verification requests' pages (issue 32): axe-core at 1280
and 360 px on the verifier's, the agency's and the exporter's pages, and the forms' error
states; a serious or critical violation fails, all of them listed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from certificates.models import Certificate
from review.services import application_approve
from tests.accessibility.test_axe_audit import Audit
from tests.accessibility.test_axe_audit import signing as signing  # the fixture
from tests.applications.conftest import tiny_pdf
from tests.certificates.factories import application_under_review
from tests.clients import exporter_client, otp_device, verified_client
from tests.factories import DEFAULT_PASSWORD
from tests.verification.test_utilisation import verifier
from verification import requests as service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_verification_request_pages_have_no_serious_or_critical_violation(
    browser_instance,
    live_server,
    screenshot,
    signing,
    alice,
    olivia,
    ada,
    eic_mumbai,
):
    reviewed = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(application_approve, application_id=reviewed.pk, officer=olivia).result()
    issued = Certificate.objects.get(application=reviewed)
    dubai = verifier("hamdan", org="Dubai Customs")
    filed = service.request_file(
        certificate_id=issued.pk,
        user=dubai,
        reasons=["origin_criterion"],
        questions="Show the cost sheet.",
        uploads=[SimpleUploadedFile("letter.pdf", tiny_pdf(), "application/pdf")],
    )
    ada.is_verified = lambda: True
    service.request_assign(request_id=filed.pk, by=ada, officer_id=olivia.pk)
    answered = service.request_file(
        certificate_id=issued.pk, user=dubai, reasons=["random"], questions="Random check."
    )
    service.request_assign(request_id=answered.pk, by=ada, officer_id=olivia.pk)
    service.request_answer(request_id=answered.pk, by=alice, answer="Cost sheet attached.")
    olivia.is_verified = lambda: True
    service.request_decide(
        request_id=answered.pk, by=olivia, finding="partly", reasons="Item 2 only."
    )
    new = f"/verifiers/requests/new/{issued.number}?code={issued.verification_code}"

    audit = Audit(browser_instance, live_server, screenshot)
    audit.persona(
        "verifier-visitor", ["/accounts/verifier/login/", "empty /accounts/verifier/login/"]
    )
    otp_device(dubai)
    code_step = Client()
    code_step.post(
        "/accounts/verifier/login/",
        {
            "username": "hamdan",
            "password": DEFAULT_PASSWORD,
            "captcha_0": "x",
            "captcha_1": "PASSED",
        },
    )
    audit.persona("verifier-code", ["/accounts/verifier/verify/"], code_step)
    audit.persona(
        "verifier",
        [
            "/verifiers/",
            new,
            f"empty {new}",
            f"/verifiers/requests/{filed.pk}/",
            f"/verifiers/requests/{answered.pk}/",
        ],
        verified_client(dubai),
    )
    audit.persona(
        "agency",
        [
            "/officer/verification-requests/",
            f"/officer/verification-requests/{filed.pk}/",
            f"/officer/verification-requests/{answered.pk}/",
        ],
        verified_client(ada),
    )
    audit.persona(
        "exporter",
        [
            "/verification-requests/",
            f"/verification-requests/{filed.pk}/",
            f"/verification-requests/{answered.pk}/",
        ],
        exporter_client(alice),
    )
    assert audit.found == [], "\n".join(audit.found)
