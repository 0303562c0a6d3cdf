"""Signing keys: the agencies' signers and the roots a verifier must trust.

Production: each agency's key is a PKCS#12 file named by `SIGNING_P12_<CODE>`, its password in
`SIGNING_P12_PASSWORD_<CODE>` (or in the file named by `SIGNING_P12_PASSWORD_<CODE>_FILE`);
the roots that issued them are PEM files listed in `SIGNING_TRUST_ROOTS` (comma-separated).

Development: `manage.py init_signing_keys` creates a throwaway root CA (`ca.pem`) and one
`<CODE>.p12` per agency under `settings.SIGNING_KEYS_DIR`. `ca.pem` there is trusted too,
so a development install verifies its own certificates.

Codes in environment variable names are upper-cased, with anything but A-Z and 0-9 made `_`.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
# Development keys only: they sign nothing that anyone outside this machine should trust, so a
# fixed fallback password is acceptable. Production keys never use it (see get_signer).
DEFAULT_DEV_PASSWORD = "coo-portal-development-keys"  # noqa: S105
CA_VALIDITY = dt.timedelta(days=3650)
SIGNING_CERT_VALIDITY = dt.timedelta(days=1095)


class SigningKeyError(Exception):
    """A signing key or trust root is missing or cannot be read."""


# ---------------------------------------------------------------------------------------------
# Loading (production and development alike)
# ---------------------------------------------------------------------------------------------


def _env_suffix(agency_code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", agency_code.upper())


def _keys_dir() -> Path:
    return Path(settings.SIGNING_KEYS_DIR)


def _dev_password() -> bytes:
    return os.environ.get("DEV_SIGNING_KEY_PASSWORD", DEFAULT_DEV_PASSWORD).encode()


def _configured_p12(agency_code: str) -> tuple[Path, bytes] | None:
    """The production PKCS#12 path and password for an agency, if the environment names one."""
    suffix = _env_suffix(agency_code)
    path = os.environ.get(f"SIGNING_P12_{suffix}")
    if not path:
        return None
    password_name = f"SIGNING_P12_PASSWORD_{suffix}"
    password_file = os.environ.get(f"{password_name}_FILE")
    if password_file:
        try:
            password = Path(password_file).read_text().strip()
        except OSError as exc:
            raise SigningKeyError(f"{password_name}_FILE={password_file}: {exc}") from exc
    else:
        password = os.environ.get(password_name, "")
    if not password:
        raise SigningKeyError(f"SIGNING_P12_{suffix} is set but {password_name} is not.")
    return Path(path), password.encode()


def load_signer_from_pkcs12(path: Path, password: bytes) -> SimpleSigner:
    """Load a signer (key, certificate and the chain in the file) from a PKCS#12 file.

    Unlike pyHanko's own loaders, which log and return None, this raises SigningKeyError.
    Issuers found among trust_roots() join the chain, so that the signature embeds it whole.
    """
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"Cannot read the signing key {path}: {exc}") from exc
    if key is None or cert is None:
        raise SigningKeyError(f"{path} holds no private key with its certificate.")
    signing_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in extra]
    known = {c.sha256 for c in chain}
    chain += [
        root
        for root in trust_roots()
        if root.subject == signing_cert.issuer and root.sha256 not in known
    ]
    registry = SimpleCertificateStore()
    registry.register_multiple(chain)
    signing_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return SimpleSigner(signing_cert=signing_cert, signing_key=signing_key, cert_registry=registry)


@functools.cache
def get_signer(agency_code: str) -> SimpleSigner:
    """The agency's signer, loaded once per process.

    Loading is the slow part of signing (an RSA key is re-validated on every load), so the
    result is kept; clear_caches() forgets it, e.g. after a key rotation or in tests.
    """
    configured = _configured_p12(agency_code)
    if configured is not None:
        return load_signer_from_pkcs12(*configured)
    dev_path = _keys_dir() / f"{agency_code}.p12"
    if not dev_path.exists():
        raise SigningKeyError(
            f"No signing key for agency {agency_code!r}: set SIGNING_P12_"
            f"{_env_suffix(agency_code)} (production) or run "
            f"`manage.py init_signing_keys --agency {agency_code}` (development)."
        )
    return load_signer_from_pkcs12(dev_path, _dev_password())


@functools.cache
def _trust_roots() -> tuple[asn1_x509.Certificate, ...]:
    paths = [Path(p.strip()) for p in os.environ.get("SIGNING_TRUST_ROOTS", "").split(",")]
    paths = [p for p in paths if str(p) not in ("", ".")]
    dev_ca = _keys_dir() / CA_CERT_FILE
    if dev_ca.exists():
        paths.append(dev_ca)
    roots: dict[bytes, asn1_x509.Certificate] = {}
    for path in paths:
        try:
            pem = path.read_bytes()
            certs = x509.load_pem_x509_certificates(pem)
        except (OSError, ValueError) as exc:
            raise SigningKeyError(f"Cannot read the trust root {path}: {exc}") from exc
        for cert in certs:
            der = cert.public_bytes(serialization.Encoding.DER)
            roots.setdefault(der, asn1_x509.Certificate.load(der))
    return tuple(roots.values())


def trust_roots() -> list[asn1_x509.Certificate]:
    """The CA certificates whose signatures we accept (asn1crypto objects, as pyHanko wants)."""
    return list(_trust_roots())


def ca_certificate_pem() -> bytes:
    """The trusted root certificates as one PEM bundle, for verifiers to download."""
    roots = _trust_roots()
    if not roots:
        raise SigningKeyError(
            "No trust roots: set SIGNING_TRUST_ROOTS or run `manage.py init_signing_keys`."
        )
    return b"".join(
        x509.load_der_x509_certificate(root.dump()).public_bytes(serialization.Encoding.PEM)
        for root in roots
    )


def clear_caches() -> None:
    """Forget loaded signers and trust roots (after a key rotation, and between tests)."""
    get_signer.cache_clear()
    _trust_roots.cache_clear()


# ---------------------------------------------------------------------------------------------
# Development keys
# ---------------------------------------------------------------------------------------------


def _name(common_name: str, organisation: str) -> x509.Name:
    # X.509 limits these attributes to 64 characters; agency names may be longer.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
        ]
    )


def _write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file atomically (two processes may race); keys are readable by their owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def ensure_development_ca(keys_dir: Path | None = None) -> bool:
    """Create the development root CA in keys_dir (default SIGNING_KEYS_DIR) unless it exists.

    Returns True if it was created.
    """
    keys_dir = keys_dir or _keys_dir()
    cert_path, key_path = keys_dir / CA_CERT_FILE, keys_dir / CA_KEY_FILE
    if cert_path.exists() and key_path.exists():
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("COO Portal Development Root CA", "COO Portal (development)")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(_dev_password()),
        ),
    )
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    clear_caches()
    return True


def ensure_agency_key(
    agency_code: str, agency_name: str, *, rsa_key: bool = False, keys_dir: Path | None = None
) -> bool:
    """Create `<CODE>.p12` in keys_dir (default SIGNING_KEYS_DIR) unless it exists.

    The certificate is issued by the development CA (created if needed), ECDSA P-256 unless
    rsa_key asks for RSA-2048. Its key usage is digitalSignature + nonRepudiation and it has no
    extended key usage: poppler's pdfsig rejects a certificate restricted to document signing.
    Works without any database row, so benchmarks and tests can make keys for any code.
    Returns True if it was created.
    """
    keys_dir = keys_dir or _keys_dir()
    p12_path = keys_dir / f"{agency_code}.p12"
    if p12_path.exists():
        return False
    ensure_development_ca(keys_dir)
    password = _dev_password()
    ca_cert = x509.load_pem_x509_certificate((keys_dir / CA_CERT_FILE).read_bytes())
    ca_key = serialization.load_pem_private_key((keys_dir / CA_KEY_FILE).read_bytes(), password)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise SigningKeyError(f"{keys_dir / CA_KEY_FILE} is not the development CA's ECDSA key.")
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{agency_name} (development)", agency_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + SIGNING_CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write(
        p12_path,
        pkcs12.serialize_key_and_certificates(
            name=agency_code.encode(),
            key=key,
            cert=cert,
            cas=[ca_cert],
            encryption_algorithm=serialization.BestAvailableEncryption(password),
        ),
    )
    get_signer.cache_clear()
    return True
