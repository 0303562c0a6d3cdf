"""Settings come from the environment and fail loudly; production settings pass check --deploy."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

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


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    result = manage(
        "check",
        "--deploy",
        DEBUG="0",
        SECRET_KEY=random_key(),
        ALLOWED_HOSTS="example.org",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout + result.stderr


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
    names (django-environ keeps a trailing "# comment" as part of the value)."""
    script = (
        "import environ, os, django\n"
        "environ.Env.read_env('.env.example', overwrite=True)\n"
        f"os.environ.update(SECRET_KEY={random_key()!r}, VAR_DIR={str(tmp_path)!r})\n"
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
