"""Settings come from the environment and fail loudly; production settings pass check --deploy."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parents[2]


def manage_environment(**env: str) -> dict[str, str]:
    """This process's environment without the test and production settings, plus `env`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "TESTING",
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "SITE_URL",
            "SECURE_SSL_REDIRECT",
            "CAPTCHA_TEST_MODE",
            "PAYMENT_GATEWAY",
            "PAYMENT_SANDBOX_ALLOWED_ON_STAGING",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser fixtures; never in production
        }
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="coo_portal.settings", PYTHONPATH=str(ROOT))
    return clean


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=manage_environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def random_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!#%&()*+,-./:;<=>?@[]^_{|}~"
    return "".join(secrets.choice(alphabet) for _ in range(50))


def credential_key_file(tmp_path: Path) -> str:
    """An agency's credential key as an operator makes one (ECDSA P-256, PKCS#8 PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "eic-credential.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(path)


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=random_key(),
        ALLOWED_HOSTS="example.org",
        TSA_URL="https://tsa.example.org/tsr",
        VAR_DIR=str(tmp_path),
        # No real payment gateway ships (README, Payments): a staging site says so by name.
        PAYMENT_GATEWAY="sandbox",
        PAYMENT_SANDBOX_ALLOWED_ON_STAGING="1",
        SIGNING_VC_KEY_EIC=credential_key_file(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_check_deploy_fails_with_the_sandbox_gateway_and_no_staging_permission(tmp_path):
    result = manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=random_key(),
        ALLOWED_HOSTS="example.org",
        VAR_DIR=str(tmp_path),
        PAYMENT_GATEWAY="sandbox",
    )
    assert result.returncode != 0
    assert "applications.E001" in result.stderr
    assert "PAYMENT_GATEWAY=sandbox with DEBUG off" in result.stderr


def test_check_deploy_refuses_production_without_a_credential_key(tmp_path):
    result = manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=random_key(),
        ALLOWED_HOSTS="example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "certificates.E010" in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    result = manage("check", DEBUG="0", ALLOWED_HOSTS="example.org", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_a_malformed_boolean_is_refused_with_its_name(tmp_path):
    result = manage("check", DEBUG="maybe", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_a_secret_key_starting_with_a_dollar_is_taken_literally(tmp_path):
    key = "$" + random_key()
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        DEBUG="0",
        SECRET_KEY=key,
        ALLOWED_HOSTS="example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == key


def test_env_example_copied_to_env_is_a_working_production_configuration(tmp_path):
    """.env.example is what operators copy to .env: each value must read as the setting it
    names (django-environ keeps a trailing "# comment" as part of the value). The secrets it
    cannot hold are supplied, as an operator would: the secret key and the credential key. Its
    PAYMENT_GATEWAY is left empty on purpose (no real gateway ships, README "Payments"), so
    the copy is checked here as a staging site."""
    key = credential_key_file(tmp_path)
    script = (
        "import environ, os, django\n"
        "environ.Env.read_env('.env.example', overwrite=True)\n"
        f"os.environ.update(SECRET_KEY={random_key()!r}, VAR_DIR={str(tmp_path)!r},"
        f" SIGNING_VC_KEY_EIC={key!r})\n"
        "os.environ.update(PAYMENT_GATEWAY='sandbox', PAYMENT_SANDBOX_ALLOWED_ON_STAGING='1')\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('check', '--deploy')\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=manage_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


def test_a_production_key_without_its_password_is_refused_with_its_name(tmp_path):
    result = manage(
        "check",
        DEBUG="0",
        SECRET_KEY=random_key(),
        ALLOWED_HOSTS="example.org",
        VAR_DIR=str(tmp_path),
        SIGNING_P12_EIC=str(tmp_path / "eic.p12"),
    )
    assert result.returncode != 0
    assert "SIGNING_P12_EIC is set but SIGNING_P12_PASSWORD_EIC" in result.stderr


def test_init_signing_keys_refuses_under_production_settings(tmp_path):
    result = manage(
        "init_signing_keys",
        DEBUG="0",
        SECRET_KEY=random_key(),
        ALLOWED_HOSTS="example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "runs only with DEBUG=1" in result.stderr
    assert not (tmp_path / "keys").exists()


def test_captcha_test_mode_is_refused_at_start_up_when_debug_is_off(tmp_path):
    """manage.py, gunicorn's WSGI module and Celery all load these settings first."""
    production = {
        "DEBUG": "0",
        "SECRET_KEY": random_key(),
        "ALLOWED_HOSTS": "example.org",
        "VAR_DIR": str(tmp_path),
        "CAPTCHA_TEST_MODE": "1",
    }
    result = manage("check", **production)
    assert result.returncode != 0
    assert "CAPTCHA_TEST_MODE=1 needs DEBUG=1" in result.stderr
    wsgi = subprocess.run(
        [sys.executable, "-c", "import coo_portal.wsgi"],
        cwd=ROOT,
        env=manage_environment(**production),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert wsgi.returncode != 0
    assert "CAPTCHA_TEST_MODE=1 needs DEBUG=1" in wsgi.stderr
    assert manage("check", **{**production, "DEBUG": "1"}).returncode == 0


def test_the_embedded_default_keeps_its_database_connection_between_requests(tmp_path):
    """Issue 34: every request on SQLite opened a new connection (about 0.9 ms)."""
    shown = manage(
        "shell",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])",
        DEBUG="1",
        VAR_DIR=str(tmp_path),
        DATABASE_URL="",
        REDIS_URL="",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1].split() == ["django.db.backends.sqlite3", "60", "True"]
