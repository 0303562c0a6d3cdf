"""`make run PORT=8001` serves on 8001, and with no SITE_URL set every link the portal makes
(QR code, emails, the API's URLs, the CRL address) says 8001 too (issue 14, acceptance 5)."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

from .test_settings import ROOT, manage_environment

PROBE = """
import json
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from accounts.notifications import _context
from certificates.pki import crl_url
from certificates.services import verify_url_for
email = render_to_string(
    "emails/application_rejected.txt", _context({"application": {"reference": "COO-1"}})
)
print(json.dumps({
    "site_url": settings.SITE_URL,
    "qr": verify_url_for(number="EIC/2026/MUM/0000001", code="ABC"),
    "email": email,
    "api": settings.SITE_URL + reverse("verification:api-certificate", args=["EIC/2026/MUM/1"]),
    "crl": crl_url("EIC"),
}))
"""


def run_command(port: str | None) -> list[str]:
    """The runserver line `make run PORT=<port>` would run (make -n prints, runs nothing)."""
    dry = subprocess.run(  # noqa: S603 - make with fixed arguments
        ["make", "-n", "run", *([f"PORT={port}"] if port else [])],  # noqa: S607 - make from PATH
        cwd=ROOT,
        env={k: v for k, v in manage_environment().items() if k != "PORT"},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in dry.stdout.splitlines() if " runserver " in line)
    return shlex.split(line)


def probe(command: list[str], **env: str) -> dict[str, str]:
    """Run the probe with the environment assignments that make's runserver line carries."""
    assignments = dict(word.split("=", 1) for word in command if "=" in word.split("/")[0])
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "shell", "-c", PROBE],
        cwd=ROOT,
        env=manage_environment(**assignments, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_make_run_with_port_8001_serves_there_and_every_link_says_8001():
    command = run_command("8001")
    assert command[-2:] == ["runserver", "127.0.0.1:8001"]
    links = probe(command)
    assert links["site_url"] == "http://127.0.0.1:8001"
    assert links["qr"].startswith("http://127.0.0.1:8001/verify/")
    assert "http://127.0.0.1:8001/applications/COO-1/" in links["email"]
    assert links["api"].startswith("http://127.0.0.1:8001/api/v1/certificates/")
    assert links["crl"] == "http://127.0.0.1:8001/pki/EIC.crl"


def test_a_site_url_that_is_set_wins_over_the_port():
    links = probe(run_command("8001"), SITE_URL="https://coo.example.gov.in")
    assert links["qr"].startswith("https://coo.example.gov.in/verify/")


def test_make_run_without_port_serves_on_8000():
    command = run_command(None)
    assert command[-1] == "127.0.0.1:8000"
    assert probe(command)["site_url"] == "http://127.0.0.1:8000"
