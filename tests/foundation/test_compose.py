from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

from reference.management.commands.seed_reference import AGENCIES
from tests.e2e import compose as shipped
from tests.e2e import prod_smoke
from tests.resilience.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_docker_compose_file_is_valid():
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [compose, "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_runs_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert users
    assert users[-1] not in {"root", "0"}


# ---------------------------------------------------------------------------------------------
# Issue 27: every service's environment, as docker-compose.yml ships it, passes check --deploy
# ---------------------------------------------------------------------------------------------


def agencies_folder(folder: Path, codes: list[str]) -> None:
    """What secrets/agencies/ holds (docs/operations.md): each agency's PKCS#12 key, its
    password, its CA's CRL and its credential key, and ca.pem, made with openssl."""
    prod_smoke.outside_ca(folder)
    provisioned = prod_smoke.outside_signing_keys(folder, codes, "https://localhost")
    for code in codes:
        shutil.copy(folder / "ca.crl", folder / f"{code}.crl")
        (folder / f"{code}.p12-password").write_text(provisioned[f"SIGNING_P12_PASSWORD_{code}"])


def secrets_folder(folder: Path, database: Path) -> None:
    folder.mkdir()
    values = {
        "secret_key": "compose-test-" + "k" * 50,
        "database_url": f"sqlite:///{database}",
        "s3_secret_key": "compose-test-s3-secret",
        "metrics_token": "m" * 40,
        "backup_key": Fernet.generate_key().decode(),
    }
    for name, value in values.items():
        (folder / name).write_text(value + "\n")


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="needs docker-compose")
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_every_service_environment_of_the_compose_file_passes_check_deploy(tmp_path):
    services = shipped.resolved()["services"]
    agencies = ["EIC", "FIEO", "MPEDA", "TC", "FICCI", "PORTAL"]  # seed_reference's
    agencies_folder(tmp_path / "agencies", agencies)
    secrets_folder(tmp_path / "secrets", tmp_path / "db.sqlite3")
    s3_port = free_port()
    moto = subprocess.Popen(  # noqa: S603 - moto's S3 server on loopback
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = shipped.Local(
        secrets=tmp_path / "secrets",
        agencies=tmp_path / "agencies",
        var_dir=tmp_path / "var",
        redis_url="redis://127.0.0.1:6379/0",  # not connected to by the checks
        s3_endpoint=f"http://127.0.0.1:{s3_port}",
        tsa_url="http://127.0.0.1:3180/",
        site_url="https://localhost",
        allowed_hosts="localhost",
    )
    base = {k: v for k, v in os.environ.items() if k not in {"TESTING", "DJANGO_SETTINGS_MODULE"}}
    base = {k: v for k, v in base.items() if not k.startswith(("SIGNING_", "S3_", "DATABASE_"))}
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    try:
        time.sleep(1)
        # The migrate service's own command: the bucket, migrate, seed_reference, check --deploy.
        env = {**base, **shipped.environment(services["migrate"], local, "migrate"), "PATH": path}
        done = subprocess.run(  # noqa: S603 - the compose file's command
            shipped.command(services["migrate"], local, "migrate"),
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        for name in ("web1", "web2", "worker1", "worker2", "beat"):
            env = {**base, **shipped.environment(services[name], local, name), "PATH": path}
            result = subprocess.run(
                [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert result.returncode == 0, f"{name}: {result.stdout}{result.stderr}"
    finally:
        moto.terminate()
        moto.wait(timeout=10)


def test_every_agency_of_the_reference_data_has_its_keys_in_the_compose_file():
    environment = compose()["x-app"]["environment"]
    for code, *_ in AGENCIES:
        for name in (
            f"SIGNING_P12_{code}",
            f"SIGNING_P12_PASSWORD_{code}_FILE",
            f"SIGNING_CRL_{code}",
            f"SIGNING_VC_KEY_{code}",
        ):
            assert name in environment, f"docker-compose.yml has no {name}"
    assert environment["SIGNING_TRUST_ROOTS"]


def test_static_files_are_built_into_the_image_not_kept_in_a_volume():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "DEBUG=0 SECRET_KEY=collectstatic-at-build-only" in dockerfile
    for name in ("web1", "web2"):
        volumes = compose()["services"][name].get("volumes", [])
        assert not [v for v in volumes if "/var/lib/coo" in v], f"{name} keeps /var/lib/coo"


def test_every_setting_of_the_runbooks_newer_settings_table_is_set_in_the_compose_file():
    """docs/operations.md lists the settings the later features added; the compose file sets
    each (the per-agency Razorpay names are templates, added per agency as its comment says)."""
    runbook = (ROOT / "docs" / "operations.md").read_text()
    table = runbook.split("### The settings the features of 2026-12-07 added", 1)[1]
    table = table.split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    names = {
        name
        for row in rows
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)(?:=[^`]*)?`", row.split("|")[1])
    }
    assert "CONN_MAX_AGE" in names
    assert "API_RATE_READ" in names
    environment = compose()["x-app"]["environment"]
    for name in sorted(names):
        assert name in environment, f"docker-compose.yml does not set {name}"
    text = (ROOT / "docker-compose.yml").read_text()
    for template in ("RAZORPAY_KEY_ID_<AGENCY>", "RAZORPAY_WEBHOOK_SECRET_<AGENCY>_FILE"):
        assert template in text, f"docker-compose.yml does not explain {template}"
