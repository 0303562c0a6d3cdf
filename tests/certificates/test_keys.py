"""Signing keys: the development CA and agency keys, production keys from the environment."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management import call_command

from certificates import keys


def load_p12(path: Path) -> pkcs12.PKCS12KeyAndCertificates:
    return pkcs12.load_pkcs12(path.read_bytes(), keys.DEFAULT_DEV_PASSWORD.encode())


@pytest.mark.django_db
def test_init_signing_keys_makes_a_ca_and_one_key_per_agency_once(
    signing_keys: Path, eic, fieo
) -> None:
    call_command("init_signing_keys", "--agency", "TXC", stdout=StringIO())
    created = {p.name: p.read_bytes() for p in signing_keys.iterdir()}

    out = StringIO()
    call_command("init_signing_keys", "--agency", "TXC", stdout=out)

    assert set(created) == {
        *("ca.pem", "ca-key.pem", "EIC.p12", "FIEO.p12", "TXC.p12"),
        *("EIC-vc.pem", "FIEO-vc.pem", "TXC-vc.pem"),  # the credential keys
    }
    assert {p.name: p.read_bytes() for p in signing_keys.iterdir()} == created
    assert out.getvalue().count("Kept the existing signing key") == 3
    assert (signing_keys / "EIC.p12").stat().st_mode & 0o077 == 0


def test_an_agency_certificate_is_fit_for_pdfsig(signing_keys: Path) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")

    bundle = load_p12(signing_keys / "EIC.p12")
    cert = bundle.cert.certificate
    ca = x509.load_pem_x509_certificate((signing_keys / "ca.pem").read_bytes())

    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment  # nonRepudiation
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == "Export Inspection Council (development)"
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "IN"
    assert cert.issuer == ca.subject
    assert isinstance(bundle.key, ec.EllipticCurvePrivateKey)
    assert bundle.key.curve.name == "secp256r1"


def test_rsa_keys_on_request(signing_keys: Path) -> None:
    keys.ensure_agency_key("FIEO", "Federation of Indian Export Organisations", rsa_key=True)

    key = load_p12(signing_keys / "FIEO.p12").key

    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048


def test_a_signer_is_loaded_once_per_process(signing_keys: Path) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")

    assert keys.get_signer("EIC") is keys.get_signer("EIC")


def test_a_missing_key_says_how_to_make_one() -> None:
    with pytest.raises(keys.SigningKeyError, match="init_signing_keys --agency EIC"):
        keys.get_signer("EIC")


def test_a_wrong_password_is_a_clear_error_not_none(
    signing_keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    monkeypatch.setenv("DEV_SIGNING_KEY_PASSWORD", "not-the-password")

    with pytest.raises(keys.SigningKeyError, match=r"Cannot read the signing key .*EIC\.p12"):
        keys.get_signer("EIC")


def test_a_production_key_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "vault"
    keys.ensure_agency_key("EPC-1", "Engineering Export Promotion Council", keys_dir=vault)
    password_file = tmp_path / "password"
    password_file.write_text(keys.DEFAULT_DEV_PASSWORD + "\n")
    monkeypatch.setenv("SIGNING_P12_EPC_1", str(vault / "EPC-1.p12"))
    monkeypatch.setenv("SIGNING_P12_PASSWORD_EPC_1_FILE", str(password_file))
    monkeypatch.setenv("SIGNING_TRUST_ROOTS", str(vault / "ca.pem"))

    signer = keys.get_signer("EPC-1")

    assert "Engineering Export Promotion Council" in signer.signing_cert.subject.human_friendly
    assert [root.subject for root in keys.trust_roots()] == [
        next(iter(signer.cert_registry)).subject
    ]


def test_a_production_key_without_its_password_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNING_P12_EIC", str(tmp_path / "eic.p12"))

    with pytest.raises(keys.SigningKeyError, match="SIGNING_P12_PASSWORD_EIC"):
        keys.get_signer("EIC")


def test_verifiers_can_download_every_trusted_root(
    signing_keys: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys.ensure_development_ca()
    other = tmp_path / "other"
    keys.ensure_development_ca(other)
    monkeypatch.setenv("SIGNING_TRUST_ROOTS", f"{other / 'ca.pem'}, ")

    bundle = x509.load_pem_x509_certificates(keys.ca_certificate_pem())

    assert len(bundle) == 2
    assert len(keys.trust_roots()) == 2


def test_no_roots_at_all_is_a_clear_error() -> None:
    with pytest.raises(keys.SigningKeyError, match="No trust roots"):
        keys.ca_certificate_pem()


def test_an_unreadable_trust_root_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNING_TRUST_ROOTS", str(tmp_path / "missing.pem"))

    with pytest.raises(keys.SigningKeyError, match=r"missing\.pem"):
        keys.trust_roots()
