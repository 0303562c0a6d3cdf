"""A certificate PDF whose embedded credential was swapped for another certificate's is not
authentic: the swap is an update after signing, which the certification signature forbids,
and the file's bytes are no revision in the register."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache

from certificates import credential_keys, keys
from certificates.credential import credential_attach
from certificates.selectors import certificate_pdf_bytes
from tests import credentials as vc
from tests.certificates.factories import application_under_review, issued_certificate
from verification.services import verification_check_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signing_keys(settings, tmp_path: Path) -> Iterator[Path]:
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    credential_keys.clear_caches()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    cache.clear()
    yield settings.SIGNING_KEYS_DIR
    keys.clear_caches()
    credential_keys.clear_caches()
    cache.clear()


def test_a_pdf_carrying_another_certificates_credential_is_refused(
    alice, olivia, eic_mumbai, django_capture_on_commit_callbacks
) -> None:
    first, second = (
        issued_certificate(
            application_under_review(exporter=alice, officer=olivia, office=eic_mumbai),
            django_capture_on_commit_callbacks,
        )
        for _ in range(2)
    )
    pdf = certificate_pdf_bytes(first)
    others = vc.embedded_credential(certificate_pdf_bytes(second))
    assert vc.payload_of(others)["credentialSubject"]["certificateNumber"] == second.number

    swapped = credential_attach(pdf, others)
    genuine = verification_check_document(data=pdf, client_address="203.0.113.9")
    answer = verification_check_document(data=swapped, client_address="203.0.113.9")

    assert genuine.authentic
    assert genuine.certificate == first
    assert not answer.authentic
    assert answer.reason == "signature_invalid"
