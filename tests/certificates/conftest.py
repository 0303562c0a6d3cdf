"""Fixtures for certificate rendering, signing and checking: keys in a temporary folder,
EIC's signing key, poppler's tools."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from certificates import keys
from certificates.pdf import CertificateData, render_certificate
from certificates.signing import sign_certificate_pdf

SIGNED_AT = datetime(2026, 3, 5, 11, 30, tzinfo=ZoneInfo("Asia/Kolkata"))


def needs(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(
                f"{tool} is not installed (Debian: poppler-utils, zbar-tools, libnss3-tools)"
            )


def run(tool: str, *args: str, check: bool = False) -> str:
    """A local tool's standard output (the test is skipped if the tool is not installed)."""
    needs(tool)
    executable = shutil.which(tool) or tool
    # A fixed tool with arguments the test chose: nothing untrusted reaches the command line.
    completed = subprocess.run(  # noqa: S603
        [executable, *args], capture_output=True, text=True, check=check
    )
    return completed.stdout


def pdf_text(path: Path) -> str:
    """pdftotext's text with all runs of whitespace made one space."""
    needs("pdftotext")
    return " ".join(run("pdftotext", "-enc", "UTF-8", str(path), "-").split())


def sign(pdf: bytes, agency_code: str = "EIC") -> bytes:
    return sign_certificate_pdf(
        pdf,
        agency_code=agency_code,
        officer_name="Olivia Rao",
        designation="Assistant Director",
        agency_name="Export Inspection Council",
        signed_at=SIGNED_AT,
    )


def issue(data: CertificateData) -> bytes:
    return sign(render_certificate(data))


@pytest.fixture(autouse=True)
def signing_keys(settings, tmp_path: Path) -> Iterator[Path]:
    """Every test gets its own empty keys folder and a process with nothing loaded."""
    settings.SIGNING_KEYS_DIR = tmp_path / "keys"
    keys.clear_caches()
    yield settings.SIGNING_KEYS_DIR
    keys.clear_caches()


@pytest.fixture
def eic_key(signing_keys: Path) -> Path:
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    return signing_keys / "EIC.p12"


@pytest.fixture
def nss_db(tmp_path: Path, signing_keys: Path, eic_key: Path) -> str:
    """An NSS database trusting the development CA, for pdfsig."""
    needs("certutil", "pdfsig")
    folder = tmp_path / "nss"
    folder.mkdir()
    db = f"sql:{folder}"
    run("certutil", "-N", "-d", db, "--empty-password", check=True)
    # The CA as the portal publishes it (/verify/ca-certificate.pem).
    ca = folder / "published-ca.pem"
    ca.write_bytes(keys.ca_certificate_pem())
    run("certutil", "-A", "-d", db, "-n", "ca", "-t", "CT,C,C", "-i", str(ca), check=True)
    return db


def pdfsig(nss_db: str, path: Path) -> str:
    # No -no-ocsp: with it poppler 22.12 calls good certificates "Unknown issue".
    return run("pdfsig", "-nssdir", nss_db, str(path))
