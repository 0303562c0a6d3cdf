"""Rotation is not compromise: a routine key change leaves every earlier certificate valid, in
pdfsig and pyHanko alike; a compromise refuses those timestamped after its invalidity date."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from cryptography import x509
from django.core.management import call_command
from django.utils import timezone

from certificates import keys, pki
from certificates.validation import check_signed_pdf
from tests.certificates import samples
from tests.certificates.conftest import issue, pdfsig, run

pytestmark = pytest.mark.usefixtures("eic_key")


def with_the_new_crl(nss_db: str, tmp_path: Path) -> None:
    """Give pdfsig's NSS database the CA's current CRL, as a verifier who fetched it would."""
    path = tmp_path / "ca.crl"
    path.write_bytes(pki.dev_crl())
    run("crlutil", "-I", "-d", nss_db, "-i", str(path), "-B", check=True)


def pdfsig_verdict(nss_db: str, tmp_path: Path, pdf: bytes) -> str:
    path = tmp_path / f"certificate-{len(pdf)}.pdf"
    path.write_bytes(pdf)
    return pdfsig(nss_db, path).split("Signature #2")[0]  # the certification signature


def command(*args: str) -> str:
    out = StringIO()
    call_command("revoke_signing_key", "EIC", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def a_minute_later():
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=True) as traveller:
        yield traveller


def test_retiring_a_key_stops_its_use_and_keeps_earlier_certificates_valid_everywhere(
    nss_db, tmp_path
) -> None:
    earlier = issue(samples.certificate())
    old_serial = keys.signing_certificate("EIC").serial_number

    output = command("--retire")
    later = issue(samples.certificate())
    with_the_new_crl(nss_db, tmp_path)

    assert "without revoking it" in output
    assert keys.signing_certificate("EIC").serial_number != old_serial
    assert (
        x509.load_der_x509_crl(pki.dev_crl()).get_revoked_certificate_by_serial_number(old_serial)
        is None
    )
    for pdf in (earlier, later):
        report = pdfsig_verdict(nss_db, tmp_path, pdf)
        assert "Signature is Valid" in report, report
        assert "Certificate is Trusted" in report, report
        assert check_signed_pdf(pdf).ok


@pytest.mark.parametrize("reason", ["superseded", "cessationOfOperation"])
def test_a_rotation_revoked_as_superseded_keeps_earlier_certificates_valid(reason, request) -> None:
    earlier = issue(samples.certificate())
    serial = keys.signing_certificate("EIC").serial_number
    request.getfixturevalue("a_minute_later")

    command("--reason", reason)
    entry = x509.load_der_x509_crl(pki.dev_crl()).get_revoked_certificate_by_serial_number(serial)

    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
        == {
            "superseded": "superseded",
            "cessationOfOperation": "cessation_of_operation",
        }[reason]
    )
    assert check_signed_pdf(earlier).ok


def test_a_compromise_carries_its_invalidity_date_and_refuses_what_was_signed_after_it(
    request,
) -> None:
    before_compromise = issue(samples.certificate())
    compromised_at = timezone.now() + timedelta(seconds=2)
    with time_machine.travel(compromised_at + timedelta(seconds=2), tick=True):
        after_compromise = issue(samples.certificate())
    serial = keys.signing_certificate("EIC").serial_number
    request.getfixturevalue("a_minute_later")

    output = command("--reason", "keyCompromise", "--invalid-since", compromised_at.isoformat())
    entry = x509.load_der_x509_crl(pki.dev_crl()).get_revoked_certificate_by_serial_number(serial)

    assert "invalid since" in output
    assert entry.extensions.get_extension_for_class(
        x509.InvalidityDate
    ).value.invalidity_date_utc == (compromised_at.replace(microsecond=0))
    assert check_signed_pdf(before_compromise).ok
    # the revocation itself came after both timestamps: only the invalidity date tells them apart
    assert check_signed_pdf(after_compromise).reason == "unknown_key"


def test_an_invalidity_date_is_for_a_compromise_only() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="keyCompromise only"):
        command("--reason", "superseded", "--invalid-since", timezone.now().isoformat())
