"""Certificate revocation lists, and the development CA that issues keys and CRLs on this machine.

Every signature embeds (PAdES B-LT) the current CRL of each CA in its chains, and the portal
publishes each agency CA's CRL at /pki/<AGENCY>.crl, the distribution point its signing
certificates name.

Production: the agency's CA is outside the portal (it holds the CA key; the portal never
does). Its CRL is a file the CA's operator keeps fresh, named by SIGNING_CRL_<AGENCY>;
SIGNING_EXTRA_CRLS adds the CRLs of further CAs (intermediates, the TSA's CA).

Development (DEBUG=1 and tests): one development CA, kept in its own folder away from the
signing keys (SIGNING_DEV_CA_DIR, default `<SIGNING_KEYS_DIR>-ca`), issues every agency's
development certificate, the development TSA's certificate and one CRL (ca.crl) that covers
them all; it is re-issued before it expires and when a key is revoked (revoke_signing_key).
The password of the development key files is generated once per installation and kept in
`<SIGNING_KEYS_DIR>.password` (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import secrets
import threading
from pathlib import Path

from asn1crypto import crl as asn1_crl
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.urls import reverse

CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CA_CRL_FILE = "ca.crl"
CA_VALIDITY = dt.timedelta(days=3650)
CERT_VALIDITY = dt.timedelta(days=1095)
# The development CRL says when the next one is due; it is re-issued a day before that.
CRL_VALIDITY = dt.timedelta(days=7)
CRL_RENEW_BEFORE = dt.timedelta(days=1)


class PkiError(Exception):
    """A CA, certificate or CRL is missing, unreadable or refused."""


# ---------------------------------------------------------------------------------------------
# Files of the development PKI
# ---------------------------------------------------------------------------------------------


def env_suffix(agency_code: str) -> str:
    """EPC-1 -> EPC_1: how an agency code appears in environment variable names."""
    return re.sub(r"[^A-Z0-9]", "_", agency_code.upper())


def keys_dir() -> Path:
    return Path(settings.SIGNING_KEYS_DIR)


def dev_ca_dir() -> Path:
    """The development CA's folder: never the folder of the signing keys."""
    configured = settings.SIGNING_DEV_CA_DIR
    folder = Path(configured) if configured else keys_dir().with_name(f"{keys_dir().name}-ca")
    if folder.resolve() == keys_dir().resolve():
        raise PkiError("SIGNING_DEV_CA_DIR must not be SIGNING_KEYS_DIR.")
    return folder


def development_keys_allowed() -> bool:
    """Development keys and CA are used and trusted only with DEBUG=1 and in tests."""
    return bool(settings.DEBUG or getattr(settings, "TESTING", False))


def write_private(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file atomically (two processes, or two threads of one, may race); keys are
    readable by their owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def dev_password() -> bytes:
    """The password of this installation's development key files, made on first use."""
    path = keys_dir().with_name(f"{keys_dir().name}.password")
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    password = secrets.token_urlsafe(32).encode()
    # O_EXCL: if another process made it first, its password wins and this one is dropped.
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(password + b"\n")
    return password


def _name(common_name: str, organisation: str) -> x509.Name:
    # X.509 limits these attributes to 64 characters; agency names may be longer.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
        ]
    )


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,  # nonRepudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signing,
        crl_sign=not signing,
        encipher_only=False,
        decipher_only=False,
    )


def crl_url(agency_code: str) -> str:
    """The stable public address of an agency CA's CRL: SITE_URL/pki/<AGENCY>.crl."""
    return settings.SITE_URL + reverse("pki-crl", kwargs={"agency": agency_code})


def ensure_development_ca() -> bool:
    """Create the development root CA (and its first, empty CRL) unless it exists.

    Returns True if it was created.
    """
    folder = dev_ca_dir()
    cert_path, key_path = folder / CA_CERT_FILE, folder / CA_KEY_FILE
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
        .add_extension(_key_usage(signing=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(dev_password()),
        ),
    )
    write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    (folder / CA_CRL_FILE).unlink(missing_ok=True)
    clear_caches()
    _issue_dev_crl(revoked=[])
    return True


def dev_ca_certificate() -> x509.Certificate | None:
    path = dev_ca_dir() / CA_CERT_FILE
    if not path.exists():
        return None
    return x509.load_pem_x509_certificate(path.read_bytes())


def _dev_ca() -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    ensure_development_ca()
    folder = dev_ca_dir()
    cert = x509.load_pem_x509_certificate((folder / CA_CERT_FILE).read_bytes())
    try:
        key = serialization.load_pem_private_key(
            (folder / CA_KEY_FILE).read_bytes(), dev_password()
        )
    except ValueError as exc:
        raise PkiError(f"Cannot read the development CA key in {folder}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PkiError(f"{folder / CA_KEY_FILE} is not the development CA's ECDSA key.")
    return cert, key


def dev_issue_certificate(
    *,
    common_name: str,
    organisation: str,
    public_key: CertificateIssuerPublicKeyTypes,
    crl_distribution_point: str,
    time_stamping: bool = False,
) -> tuple[x509.Certificate, x509.Certificate]:
    """A certificate from the development CA; returns it with the CA's certificate.

    Signing certificates get digitalSignature + nonRepudiation and no extended key usage
    (poppler's pdfsig rejects one restricted to document signing); a TSA certificate gets the
    critical timeStamping usage RFC 3161 requires. Both name the CRL distribution point.
    """
    ca_cert, ca_key = _dev_ca()
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organisation))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_distribution_point)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    )
    if time_stamping:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(ca_key, hashes.SHA256()), ca_cert


# ---------------------------------------------------------------------------------------------
# CRLs
# ---------------------------------------------------------------------------------------------


def _issue_dev_crl(*, revoked: list[x509.RevokedCertificate], backdate: bool = True) -> bytes:
    ca_cert, ca_key = _dev_ca()
    previous = _read_dev_crl()
    number = 1
    if previous is not None:
        number = previous.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number + 1
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        # Backdated a little for clocks that lag, except where the CRL must be issued after a
        # timestamp (crl_ders_issued_after).
        .last_update(now - dt.timedelta(minutes=5) if backdate else now)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    for entry in revoked:
        builder = builder.add_revoked_certificate(entry)
    der = builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    write_private(dev_ca_dir() / CA_CRL_FILE, der, mode=0o644)
    clear_caches()
    return der


def _read_dev_crl() -> x509.CertificateRevocationList | None:
    path = dev_ca_dir() / CA_CRL_FILE
    if not path.exists():
        return None
    return x509.load_der_x509_crl(path.read_bytes())


def dev_crl() -> bytes:
    """The development CA's current CRL (DER), re-issued when it is about to expire."""
    current = _read_dev_crl()
    if current is None:
        ensure_development_ca()
        current = _read_dev_crl()
    if (
        current is None
        or current.next_update_utc is None
        or current.next_update_utc - CRL_RENEW_BEFORE < dt.datetime.now(dt.UTC)
    ):
        return _issue_dev_crl(revoked=list(current or []))
    return current.public_bytes(serialization.Encoding.DER)


def dev_revoke(
    certificate: x509.Certificate,
    *,
    reason: x509.ReasonFlags,
    invalid_since: dt.datetime | None = None,
) -> bool:
    """Put a certificate of the development CA on its CRL and re-issue the CRL at once.

    `invalid_since` (a key compromise: when the key is known or suspected to have been
    compromised, RFC 5280's invalidity date) may lie before the revocation itself; signatures
    timestamped after it are refused. Returns False if it was already on it.
    """
    current = _read_dev_crl()
    entries = list(current or [])
    if any(entry.serial_number == certificate.serial_number for entry in entries):
        return False
    ca_cert = dev_ca_certificate()
    if ca_cert is None or certificate.issuer != ca_cert.subject:
        raise PkiError("That certificate was not issued by the development CA.")
    builder = (
        x509.RevokedCertificateBuilder()
        .serial_number(certificate.serial_number)
        .revocation_date(dt.datetime.now(dt.UTC))
        .add_extension(x509.CRLReason(reason), critical=False)
    )
    if invalid_since is not None:
        builder = builder.add_extension(x509.InvalidityDate(invalid_since), critical=False)
    _issue_dev_crl(revoked=[*entries, builder.build()])
    return True


def _load_crl_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PkiError(f"Cannot read the CRL {path}: {exc}") from exc
    try:
        crl = (
            x509.load_pem_x509_crl(data)
            if data.lstrip().startswith(b"-----")
            else x509.load_der_x509_crl(data)
        )
    except ValueError as exc:
        raise PkiError(f"{path} is not a CRL: {exc}") from exc
    return crl.public_bytes(serialization.Encoding.DER)


def agency_crl(agency_code: str) -> bytes | None:
    """The DER CRL published for an agency: its configured CA's (production), or the
    development CA's where development keys are allowed. None if there is none."""
    configured = settings.SIGNING_CRL.get(env_suffix(agency_code))
    if configured:
        return _crl_file(configured)
    if development_keys_allowed() and (dev_ca_dir() / CA_CERT_FILE).exists():
        return dev_crl()
    return None


def _crl_file(path: str) -> bytes:
    try:
        mtime_ns = Path(path).stat().st_mtime_ns
    except OSError as exc:
        raise PkiError(f"Cannot read the CRL {path}: {exc}") from exc
    return _cached_crl_file(path, mtime_ns)


@functools.cache
def _cached_crl_file(path: str, mtime_ns: int) -> bytes:
    # Keyed by modification time: a CRL file the CA's operator replaces is read again.
    return _load_crl_file(Path(path))


def all_crl_ders() -> list[bytes]:
    """Every CRL the portal holds (agencies', extra, development), as DER, each once."""
    found: dict[bytes, None] = {}
    for path in [*settings.SIGNING_CRL.values(), *settings.SIGNING_EXTRA_CRLS]:
        found[_crl_file(path)] = None
    if development_keys_allowed() and (dev_ca_dir() / CA_CERT_FILE).exists():
        found[dev_crl()] = None
    return list(found)


def crl_ders_issued_after(moment: dt.datetime) -> list[bytes]:
    """Every CRL the portal holds, each issued at or after `moment` (to the second, as CRLs
    state time): the revocation data that long-term validation needs for a signature or
    timestamp made at `moment` (ETSI EN 319 102-1's freshness rule: data issued before a
    signature cannot show that the key was not revoked when it signed).

    The development CA's CRL is re-issued when it is older. A configured CA's CRL that is
    older raises PkiError: its CA has not published one since, and the caller tries later.
    """
    floor = moment.astimezone(dt.UTC).replace(microsecond=0)
    found: dict[bytes, None] = {}
    for path in [*settings.SIGNING_CRL.values(), *settings.SIGNING_EXTRA_CRLS]:
        der = _crl_file(path)
        if x509.load_der_x509_crl(der).last_update_utc < floor:
            raise PkiError(f"The CRL {path} was issued before {floor:%Y-%m-%d %H:%M:%S} UTC.")
        found[der] = None
    if development_keys_allowed() and (dev_ca_dir() / CA_CERT_FILE).exists():
        current = _read_dev_crl()
        if (
            current is None
            or current.last_update_utc < floor
            or current.next_update_utc is None
            or (current.next_update_utc - CRL_RENEW_BEFORE < dt.datetime.now(dt.UTC))
        ):
            found[_issue_dev_crl(revoked=list(current or []), backdate=False)] = None
        else:
            found[current.public_bytes(serialization.Encoding.DER)] = None
    return list(found)


def all_crls() -> list[asn1_crl.CertificateList]:
    """Every CRL the portal holds (agencies', extra, development), for embedding and checks."""
    return [asn1_crl.CertificateList.load(der) for der in all_crl_ders()]


def clear_caches() -> None:
    _cached_crl_file.cache_clear()
