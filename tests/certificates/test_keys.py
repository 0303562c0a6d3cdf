"""Signing keys: development keys only in development, production keys from settings,
fail closed with DEBUG=0."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.core.management.base import CommandError

from certificates import checks, keys, pki
from certificates.signing import SigningRefusedError
from tests.certificates import samples
from tests.certificates.conftest import issue


def load_p12(path: Path) -> pkcs12.PKCS12KeyAndCertificates:
    return pkcs12.load_pkcs12(path.read_bytes(), pki.dev_password())


@pytest.fixture
def production(settings):
    """Production settings: DEBUG=0 and not the test suite."""
    settings.DEBUG = False
    settings.TESTING = False
    keys.clear_caches()
    yield settings
    keys.clear_caches()


@pytest.fixture
def vault_key(tmp_path: Path) -> Path:
    """A PKCS#12 made away from the portal's folders (as an agency's CA would hand it over)."""
    vault = tmp_path / "vault"
    vault.mkdir()
    key = ec.generate_private_key(ec.SECP256R1())
    cert, ca = pki.dev_issue_certificate(
        common_name="Engineering Export Promotion Council",
        organisation="EEPC",
        public_key=key.public_key(),
        crl_distribution_point="http://testserver/pki/EPC-1.crl",
    )
    path = vault / "epc.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            name=b"epc",
            key=key,
            cert=cert,
            cas=[ca],
            encryption_algorithm=pkcs12.serialization.BestAvailableEncryption(b"vault-secret"),
        )
    )
    (vault / "ca.pem").write_bytes(ca.public_bytes(pkcs12.serialization.Encoding.PEM))
    return path


@pytest.mark.django_db
def test_init_signing_keys_makes_a_ca_apart_from_the_keys_and_one_key_per_agency_once(
    settings, signing_keys: Path, eic, fieo
) -> None:
    settings.DEBUG = True
    call_command("init_signing_keys", "--agency", "TXC", stdout=StringIO())
    created = {p.name: p.read_bytes() for p in signing_keys.iterdir()}

    out = StringIO()
    call_command("init_signing_keys", "--agency", "TXC", stdout=out)

    assert set(created) == {
        *("EIC.p12", "FIEO.p12", "TXC.p12"),
        *("EIC-vc.pem", "FIEO-vc.pem", "TXC-vc.pem"),  # the credential keys
    }
    assert {p.name for p in pki.dev_ca_dir().iterdir()} == {"ca.pem", "ca-key.pem", "ca.crl"}
    assert pki.dev_ca_dir().resolve().parent == signing_keys.resolve().parent
    assert {p.name: p.read_bytes() for p in signing_keys.iterdir()} == created
    assert out.getvalue().count("Kept the existing signing key") == 3
    assert (signing_keys / "EIC.p12").stat().st_mode & 0o077 == 0
    assert (pki.dev_ca_dir() / "ca-key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_init_signing_keys_refuses_to_run_without_debug(settings, signing_keys: Path, eic):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="runs only with DEBUG=1"):
        call_command("init_signing_keys", stdout=StringIO())

    assert not signing_keys.exists()
    assert not pki.dev_ca_dir().exists()


def test_development_keys_have_a_password_of_their_own_installation(
    settings, signing_keys: Path, tmp_path: Path
) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    password_file = signing_keys.with_name("keys.password")
    first = password_file.read_bytes().strip()
    settings.SIGNING_KEYS_DIR = tmp_path / "other" / "keys"
    keys.clear_caches()
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    second = pki.dev_password()

    assert password_file.stat().st_mode & 0o777 == 0o600
    assert len(first) >= 40
    assert first != second
    assert b"coo-portal-development-keys" not in (first, second)
    pkcs12.load_pkcs12((tmp_path / "other" / "keys" / "EIC.p12").read_bytes(), second)
    with pytest.raises(ValueError, match="password"):
        pkcs12.load_pkcs12((signing_keys / "EIC.p12").read_bytes(), second)


def test_an_agency_certificate_is_fit_for_pdfsig_and_names_its_crl(signing_keys: Path) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")

    bundle = load_p12(signing_keys / "EIC.p12")
    cert = bundle.cert.certificate
    ca = x509.load_pem_x509_certificate((pki.dev_ca_dir() / "ca.pem").read_bytes())

    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert usage.content_commitment  # nonRepudiation
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for p in points for n in p.full_name] == ["http://testserver/pki/EIC.crl"]
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == "Export Inspection Council (development)"
    assert cert.issuer == ca.subject
    assert isinstance(bundle.key, ec.EllipticCurvePrivateKey)
    assert bundle.key.curve.name == "secp256r1"


def test_rsa_keys_on_request(signing_keys: Path) -> None:
    keys.ensure_agency_key("FIEO", "Federation of Indian Export Organisations", rsa_key=True)

    key = load_p12(signing_keys / "FIEO.p12").key

    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048


def test_a_signer_and_the_timestamper_are_loaded_once_per_process(signing_keys: Path) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")

    assert keys.get_signer("EIC") is keys.get_signer("EIC")
    assert keys.get_timestamper() is keys.get_timestamper()


def test_a_missing_key_says_how_to_make_one() -> None:
    with pytest.raises(keys.SigningKeyError, match="init_signing_keys --agency EIC"):
        keys.get_signer("EIC")


def test_a_wrong_password_is_a_clear_error_not_none(signing_keys: Path) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    signing_keys.with_name("keys.password").write_text("not-the-password\n")

    with pytest.raises(keys.SigningKeyError, match=r"Cannot read the signing key .*EIC\.p12"):
        keys.get_signer("EIC")


def test_a_production_key_comes_from_settings(settings, vault_key: Path) -> None:
    settings.SIGNING_P12 = {"EPC_1": {"path": str(vault_key), "password": "vault-secret"}}
    settings.SIGNING_TRUST_ROOTS = [str(vault_key.with_name("ca.pem"))]

    signer = keys.get_signer("EPC-1")

    assert "Engineering Export Promotion Council" in signer.signing_cert.subject.human_friendly
    assert keys.has_production_key("EPC-1")


# ---------------------------------------------------------------------------------------------
# Production (DEBUG=0) with development keys lying around: nothing of them is used or trusted
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_production_without_keys_fails_the_system_check_naming_every_agency(
    signing_keys: Path, eic, fieo, settings
) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")  # made before DEBUG went off
    settings.DEBUG = settings.TESTING = False
    settings.SIGNING_P12 = {}
    settings.TSA_URL = "https://tsa.example.org/"

    errors = checks.signing_keys_check()

    assert [e.id for e in errors] == ["certificates.E001"]
    assert "EIC, FIEO" in errors[0].msg
    assert "SIGNING_P12_EIC, SIGNING_P12_FIEO" in errors[0].hint


@pytest.mark.django_db
def test_production_with_every_key_and_a_tsa_passes_the_check(
    eic, production, vault_key: Path
) -> None:
    production.SIGNING_P12 = {"EIC": {"path": str(vault_key), "password": "vault-secret"}}
    production.TSA_URL = "https://tsa.example.org/"

    assert checks.signing_keys_check() == []


@pytest.mark.django_db
def test_production_without_a_tsa_fails_the_check_unless_disabled_for_staging(
    production,
) -> None:
    production.TSA_URL = ""

    assert [e.id for e in checks.signing_keys_check()] == ["certificates.E002"]
    production.TSA_DISABLED = True
    assert checks.signing_keys_check() == []


def test_production_never_signs_with_a_development_key(signing_keys: Path, settings) -> None:
    keys.ensure_agency_key("EIC", "Export Inspection Council")
    pdf = samples.certificate()
    settings.DEBUG = False
    settings.TESTING = False
    keys.clear_caches()

    with pytest.raises(SigningRefusedError, match="No production signing key for agency 'EIC'"):
        issue(pdf)
    assert keys.trust_roots() == []
    with pytest.raises(keys.SigningKeyError):
        keys.ensure_agency_key("FIEO", "Federation of Indian Export Organisations")


def test_verifiers_can_download_every_trusted_root(
    signing_keys: Path, settings, vault_key: Path
) -> None:
    keys.ensure_development_ca()
    settings.SIGNING_TRUST_ROOTS = [str(vault_key.with_name("ca.pem"))]

    bundle = x509.load_pem_x509_certificates(keys.ca_certificate_pem())

    # the vault's CA is the development CA here: one root, listed once
    assert len(bundle) == len(keys.trust_roots()) == 1


def test_no_roots_at_all_is_a_clear_error() -> None:
    with pytest.raises(keys.SigningKeyError, match="No trust roots"):
        keys.ca_certificate_pem()


def test_an_unreadable_trust_root_is_a_clear_error(settings, tmp_path: Path) -> None:
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "missing.pem")]

    with pytest.raises(keys.SigningKeyError, match=r"missing\.pem"):
        keys.trust_roots()
