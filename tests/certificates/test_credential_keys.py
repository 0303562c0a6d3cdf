"""Credential keys: configured in production, development keys only with DEBUG or TESTING, and
a system check that fails closed with DEBUG=0."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from applications.models import Application
from certificates import checks
from certificates.credential_keys import (
    CredentialKeyError,
    clear_caches,
    credential_key,
    dev_key_path,
    ensure_credential_key,
)
from certificates.models import Certificate, Credential
from certificates.services import certificate_issue
from tests import credentials as vc
from tests import factories

from .factories import application_under_review, issued_certificate


@pytest.fixture(autouse=True)
def _fresh():
    clear_caches()
    yield
    clear_caches()


def write_key(path: Path, key, password: bytes | None = None) -> Path:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )
    return path


@pytest.fixture
def production(settings):
    """DEBUG=0 outside the test suite: no development keys."""
    settings.SIGNING_VC_DEV_KEYS = False
    settings.SIGNING_VC_KEYS = {}
    settings.SIGNING_VC_KEY_PASSWORDS = {}
    settings.SIGNING_VC_RETIRED_KEYS = {}
    return settings


def test_without_a_configured_key_the_system_check_refuses_production(production):
    errors = checks.credential_keys_check()

    assert [e.id for e in errors] == ["certificates.E010"]


def test_a_configured_key_that_is_not_p256_is_refused_by_the_system_check(production, tmp_path):
    production.SIGNING_VC_KEYS = {
        "EIC": write_key(tmp_path / "eic.pem", rsa.generate_private_key(65537, 2048))
    }

    errors = checks.credential_keys_check()

    assert [e.id for e in errors] == ["certificates.E011"]
    assert "P-256" in errors[0].msg


def test_a_configured_encrypted_key_is_the_one_that_signs(production, tmp_path, signing_keys):
    key = ec.generate_private_key(ec.SECP256R1())
    production.SIGNING_VC_KEYS = {"EIC": write_key(tmp_path / "eic.pem", key, b"s3cret-pass")}
    production.SIGNING_VC_KEY_PASSWORDS = {"EIC": "s3cret-pass"}

    assert checks.credential_keys_check() == []
    loaded = credential_key("EIC").as_dict(private=False)
    x = int.from_bytes(base64.urlsafe_b64decode(loaded["x"] + "=="), "big")
    assert x == key.public_key().public_numbers().x
    assert not dev_key_path("EIC").exists()


def test_with_dev_keys_off_no_key_is_made_and_nothing_signs(production, signing_keys):
    with pytest.raises(CredentialKeyError, match="SIGNING_VC_KEY_EIC"):
        credential_key("EIC")

    assert not dev_key_path("EIC").exists()


@pytest.mark.django_db
def test_with_dev_keys_off_and_no_key_no_certificate_is_issued(
    production, alice, olivia, eic_mumbai, eic_key
):
    application = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    Application.objects.filter(pk=application.pk).update(status="approved")

    with pytest.raises(CredentialKeyError):
        certificate_issue(application_id=application.pk)

    assert not Certificate.objects.exists()


def test_a_development_key_is_made_once_and_readable_by_its_owner_only(signing_keys):
    assert ensure_credential_key("EIC") is True
    first = dev_key_path("EIC").read_bytes()

    assert ensure_credential_key("EIC") is False
    assert dev_key_path("EIC").read_bytes() == first
    assert dev_key_path("EIC").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_after_a_rotation_old_credentials_still_verify_and_new_ones_use_the_new_key(
    production,
    tmp_path,
    alice,
    olivia,
    eic_mumbai,
    eic_key,
    client,
    django_capture_on_commit_callbacks,
):
    old_key = write_key(tmp_path / "old.pem", ec.generate_private_key(ec.SECP256R1()))
    production.SIGNING_VC_KEYS = {"EIC": old_key}
    first = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    old_token = Credential.objects.get(
        certificate=issued_certificate(first, django_capture_on_commit_callbacks)
    ).jwt

    production.SIGNING_VC_KEYS = {
        "EIC": write_key(tmp_path / "new.pem", ec.generate_private_key(ec.SECP256R1()))
    }
    production.SIGNING_VC_RETIRED_KEYS = {"EIC": [old_key]}
    second = application_under_review(exporter=alice, officer=olivia, office=eic_mumbai)
    new_token = Credential.objects.get(
        certificate=issued_certificate(second, django_capture_on_commit_callbacks)
    ).jwt

    assert checks.credential_keys_check() == []
    assert vc.header_of(old_token)["kid"] != vc.header_of(new_token)["kid"]
    for token in (old_token, new_token):
        credential = vc.verify_published(client, token)
        assert vc.status_bit(client, credential) is False
    assert len(client.get("/.well-known/jwks.json").json()["keys"]) == 2


@pytest.mark.django_db
def test_check_deploy_names_every_agency_without_its_credential_key(production, tmp_path, eic):
    factories.AgencyFactory(code="MPEDA", name="Marine Products Export Development Authority")
    production.SIGNING_VC_KEYS = {
        "EIC": write_key(tmp_path / "eic.pem", ec.generate_private_key(ec.SECP256R1()))
    }

    errors = checks.credential_key_per_agency_check()

    assert [e.id for e in errors] == ["certificates.E013"]
    assert "MPEDA" in errors[0].msg
    assert "EIC," not in errors[0].msg
    assert "SIGNING_VC_KEY_MPEDA" in errors[0].hint
