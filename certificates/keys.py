"""Signing keys: the agencies' signers and the roots a verifier must trust.

Production (DEBUG=0): each agency's key is a PKCS#12 file, a document-signing certificate
issued by a CA outside the portal, given by `SIGNING_P12_<CODE>` with its password (read in
settings, see certificates.pki for the CRLs); the roots are the PEM files listed in
`SIGNING_TRUST_ROOTS`. Nothing else is used or trusted: an agency without a configured key
cannot sign (a system check names it), and the development CA is not a trust root.

Development (DEBUG=1 and tests): `manage.py init_signing_keys` creates one `<CODE>.p12` per
agency under `settings.SIGNING_KEYS_DIR`, issued by the development CA (certificates.pki), which
is trusted too, so that a development install verifies its own certificates.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.timestamps import TimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from . import pki, timestamps

DEV_TSA_FILE = "dev-tsa.p12"


class SigningKeyError(Exception):
    """A signing key or trust root is missing, cannot be read, or may not be used here."""


# ---------------------------------------------------------------------------------------------
# Loading (production and development alike)
# ---------------------------------------------------------------------------------------------


def _configured_p12(agency_code: str) -> tuple[Path, bytes] | None:
    """The production PKCS#12 path and password for an agency, if settings name one."""
    configured = settings.SIGNING_P12.get(pki.env_suffix(agency_code))
    if not configured:
        return None
    return Path(configured["path"]), configured["password"].encode()


def has_production_key(agency_code: str) -> bool:
    return _configured_p12(agency_code) is not None


def load_signer_from_pkcs12(path: Path, password: bytes) -> SimpleSigner:
    """Load a signer (key, certificate and the chain in the file) from a PKCS#12 file.

    Unlike pyHanko's own loaders, which log and return None, this raises SigningKeyError.
    Issuers found among trust_roots() join the chain, so that the signature embeds it whole.
    """
    key, cert, extra = _load_key_and_chain(path, password)
    signing_cert = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in extra]
    known = {c.sha256 for c in chain}
    chain += [
        root
        for root in trust_roots()
        if root.subject == signing_cert.issuer and root.sha256 not in known
    ]
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    registry.register_multiple(chain)
    signing_key = asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return SimpleSigner(signing_cert=signing_cert, signing_key=signing_key, cert_registry=registry)


def _load_key_and_chain(path: Path, password: bytes) -> tuple[Any, ...]:
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(path.read_bytes(), password)
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"Cannot read the signing key {path}: {exc}") from exc
    if key is None or cert is None:
        raise SigningKeyError(f"{path} holds no private key with its certificate.")
    return key, cert, extra


@functools.cache
def get_signer(agency_code: str) -> SimpleSigner:
    """The agency's signer, loaded once per process.

    Loading is the slow part of signing (an RSA key is re-validated on every load), so the
    result is kept; clear_caches() forgets it, e.g. after a key rotation or in tests.
    With DEBUG=0 only a key configured through SIGNING_P12_<CODE> is used.
    """
    configured = _configured_p12(agency_code)
    if configured is not None:
        return load_signer_from_pkcs12(*configured)
    suffix = pki.env_suffix(agency_code)
    if not pki.development_keys_allowed():
        raise SigningKeyError(
            f"No production signing key for agency {agency_code!r}: set SIGNING_P12_{suffix} "
            f"and SIGNING_P12_PASSWORD_{suffix} (development keys are not used with DEBUG=0)."
        )
    dev_path = pki.keys_dir() / f"{agency_code}.p12"
    if not dev_path.exists():
        raise SigningKeyError(
            f"No signing key for agency {agency_code!r}: set SIGNING_P12_{suffix} "
            f"(production) or run `manage.py init_signing_keys --agency {agency_code}` "
            "(development)."
        )
    return load_signer_from_pkcs12(dev_path, pki.dev_password())


def signing_certificate(agency_code: str) -> x509.Certificate:
    """The agency's current signing certificate (as pyca/cryptography sees it)."""
    cert = get_signer(agency_code).signing_cert
    if cert is None:
        raise SigningKeyError(f"{agency_code} has no signing certificate")
    return x509.load_der_x509_certificate(cert.dump())


@functools.cache
def _trust_roots() -> tuple[asn1_x509.Certificate, ...]:
    paths = [Path(p) for p in settings.SIGNING_TRUST_ROOTS if p.strip()]
    roots: dict[bytes, asn1_x509.Certificate] = {}
    for path in paths:
        try:
            certs = x509.load_pem_x509_certificates(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise SigningKeyError(f"Cannot read the trust root {path}: {exc}") from exc
        for cert in certs:
            der = cert.public_bytes(serialization.Encoding.DER)
            roots.setdefault(der, asn1_x509.Certificate.load(der))
    # The development CA is a root only where development keys are allowed, never in production.
    dev_ca = pki.dev_ca_certificate() if pki.development_keys_allowed() else None
    if dev_ca is not None:
        der = dev_ca.public_bytes(serialization.Encoding.DER)
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
    """Forget loaded signers, trust roots and CRLs (after a rotation, and between tests)."""
    get_signer.cache_clear()
    get_timestamper.cache_clear()
    _trust_roots.cache_clear()
    pki.clear_caches()


@functools.cache
def get_timestamper() -> TimeStamper | None:
    """The time-stamping client for every signature, made once per process.

    TSA_URL names the authority; without it the development TSA answers in-process where
    development keys are allowed. None only when TSA_DISABLED=1 (staging).
    """
    if settings.TSA_DISABLED:
        return None
    if settings.TSA_URL:
        return timestamps.http_timestamper(
            url=settings.TSA_URL,
            username=settings.TSA_USERNAME,
            password=settings.TSA_PASSWORD or "",
            timeout=settings.TSA_TIMEOUT,
        )
    if not pki.development_keys_allowed():
        raise SigningKeyError("No time-stamping authority: set TSA_URL (DEBUG=0).")
    return timestamps.DevelopmentTimeStamper(*development_tsa_key())


# ---------------------------------------------------------------------------------------------
# Development keys
# ---------------------------------------------------------------------------------------------


def _refuse_outside_development() -> None:
    if not pki.development_keys_allowed():
        raise SigningKeyError(
            "Development signing keys are made only with DEBUG=1: in production each agency "
            "installs a key issued by its CA (SIGNING_P12_<AGENCY>, see the README)."
        )


def ensure_development_ca() -> bool:
    """Create the development root CA unless it exists; True if it was created."""
    _refuse_outside_development()
    return pki.ensure_development_ca()


def _write_p12(
    path: Path, name: str, key: Any, cert: x509.Certificate, ca: x509.Certificate
) -> None:
    pki.write_private(
        path,
        pkcs12.serialize_key_and_certificates(
            name=name.encode(),
            key=key,
            cert=cert,
            cas=[ca],
            encryption_algorithm=serialization.BestAvailableEncryption(pki.dev_password()),
        ),
    )


def ensure_agency_key(agency_code: str, agency_name: str, *, rsa_key: bool = False) -> bool:
    """Create `<CODE>.p12` in SIGNING_KEYS_DIR unless it exists (development only).

    The certificate is issued by the development CA (created if needed), ECDSA P-256 unless
    rsa_key asks for RSA-2048, with digitalSignature + nonRepudiation, no extended key usage
    (poppler's pdfsig rejects a certificate restricted to document signing) and the agency's
    CRL distribution point. Works without any database row, so benchmarks and tests can make
    keys for any code. Returns True if it was created.
    """
    _refuse_outside_development()
    p12_path = pki.keys_dir() / f"{agency_code}.p12"
    if p12_path.exists():
        return False
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    cert, ca_cert = pki.dev_issue_certificate(
        common_name=f"{agency_name} (development)",
        organisation=agency_name,
        public_key=key.public_key(),
        crl_distribution_point=pki.crl_url(agency_code),
    )
    _write_p12(p12_path, agency_code, key, cert, ca_cert)
    get_signer.cache_clear()
    return True


def retire_development_key(agency_code: str) -> x509.Certificate:
    """Stop using an agency's development key without revoking it (a routine rotation): its
    file is kept beside the others as `<CODE>.retired-<serial>.p12`, so that nothing signs
    with it again, and a new key is made. Certificates it signed stay valid everywhere, in
    pdfsig too, which judges any revoked certificate revoked whenever it signed. Returns
    the retired certificate."""
    _refuse_outside_development()
    retired = signing_certificate(agency_code)
    path = pki.keys_dir() / f"{agency_code}.p12"
    path.rename(path.with_name(f"{agency_code}.retired-{retired.serial_number:x}.p12"))
    get_signer.cache_clear()
    organisation = retired.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    ensure_agency_key(agency_code, str(organisation[0].value) if organisation else agency_code)
    return retired


def development_tsa_key() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, x509.Certificate]:
    """The in-process development TSA's key, certificate and CA (made on first use)."""
    _refuse_outside_development()
    path = pki.keys_dir() / DEV_TSA_FILE
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        cert, ca_cert = pki.dev_issue_certificate(
            common_name="COO Portal Development Time-Stamping Authority",
            organisation="COO Portal (development)",
            public_key=key.public_key(),
            crl_distribution_point=pki.crl_url("dev-ca"),
            time_stamping=True,
        )
        _write_p12(path, "dev-tsa", key, cert, ca_cert)
    key, cert, extra = _load_key_and_chain(path, pki.dev_password())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not extra:
        raise SigningKeyError(f"{path} is not the development TSA's ECDSA key with its CA.")
    return key, cert, extra[0]
