"""The agencies' credential keys: ECDSA P-256, one per agency, apart from its PDF signing key.

A credential key signs JSON (the certificate's Verifiable Credential and the agency's status
list), so it is a bare key published as a JWK, with no X.509 chain: a customs system trusts it
because the portal publishes it in the agency's did:web document and in its JWKS. Keeping it
apart from the PAdES key means either can be rotated or revoked without touching the other.

Production: `SIGNING_VC_KEY_<CODE>` names a PEM (PKCS#8) file, `SIGNING_VC_KEY_PASSWORD_<CODE>`
its password if it has one (read by settings.py into SIGNING_VC_KEYS / _PASSWORDS).
Development (settings.SIGNING_VC_DEV_KEYS, i.e. DEBUG or TESTING): `<CODE>-vc.pem` in
SIGNING_KEYS_DIR, made by `manage.py init_signing_keys` or on first use. With DEBUG=0 no key is
ever made or read from there: an agency without a configured key issues no credential (and so no
certificate) until one is configured.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from joserfc.jwk import ECKey

ALGORITHM = "ES256"


class CredentialKeyError(Exception):
    """An agency's credential key is missing or cannot be read."""


def env_suffix(agency_code: str) -> str:
    """The agency code as environment variable names spell it (EIC, EPC_X, ...)."""
    return re.sub(r"[^A-Z0-9]", "_", agency_code.upper())


def dev_key_path(agency_code: str, keys_dir: Path | None = None) -> Path:
    return Path(keys_dir or settings.SIGNING_KEYS_DIR) / f"{agency_code}-vc.pem"


def _load_pem(path: Path, password: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password.encode() or None)
    except (OSError, ValueError, TypeError) as exc:
        raise CredentialKeyError(f"Cannot read the credential key {path}: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise CredentialKeyError(f"{path} is not an ECDSA P-256 private key (ES256 needs one).")
    return key


def load_configured_key(agency_code: str) -> ec.EllipticCurvePrivateKey | None:
    """The production key named by SIGNING_VC_KEY_<CODE>, or None if none is configured."""
    suffix = env_suffix(agency_code)
    path = settings.SIGNING_VC_KEYS.get(suffix)
    if path is None:
        return None
    return _load_pem(Path(path), settings.SIGNING_VC_KEY_PASSWORDS.get(suffix, ""))


# Threads of one process that make the first key at once would each sign with their own.
_making = threading.Lock()


def ensure_credential_key(agency_code: str, *, keys_dir: Path | None = None) -> bool:
    with _making:
        return _ensure_credential_key(agency_code, keys_dir=keys_dir)


def _ensure_credential_key(agency_code: str, *, keys_dir: Path | None = None) -> bool:
    """Create the development key `<CODE>-vc.pem` unless it exists; True if it was created.

    Unencrypted, readable by its owner only: a development key protects nothing that anyone
    outside this machine trusts (the PDF keys' fixed fallback password protects no more).
    """
    path = dev_key_path(agency_code, keys_dir)
    if path.exists():
        return False
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written under a temporary name and renamed: two workers may make it at once.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    if path.exists():  # another process won the race: keep its key
        tmp.unlink()
        return False
    os.replace(tmp, path)
    _credential_key.cache_clear()
    return True


def credential_key(agency_code: str) -> ECKey:
    """The agency's private credential key as a JWK, loaded once per process (and again if
    the settings that locate it change, as they do between tests)."""
    where = (
        str(settings.SIGNING_KEYS_DIR),
        bool(settings.SIGNING_VC_DEV_KEYS),
        tuple(sorted((code, str(path)) for code, path in settings.SIGNING_VC_KEYS.items())),
    )
    return _credential_key(agency_code, where)


@functools.cache
def _credential_key(agency_code: str, where: tuple[object, ...]) -> ECKey:
    key = load_configured_key(agency_code)
    if key is None:
        if not settings.SIGNING_VC_DEV_KEYS:
            raise CredentialKeyError(
                f"No credential key for agency {agency_code!r}: set "
                f"SIGNING_VC_KEY_{env_suffix(agency_code)} to a PEM file of an ECDSA P-256 key."
            )
        ensure_credential_key(agency_code)
        key = _load_pem(dev_key_path(agency_code), "")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ECKey.import_key(pem)


def retired_public_keys(agency_code: str) -> list[ECKey]:
    """The agency's retired keys (SIGNING_VC_RETIRED_<CODE>): they sign nothing any more but
    stay published, so that the credentials and status lists they signed still verify."""
    found = []
    for path in settings.SIGNING_VC_RETIRED_KEYS.get(env_suffix(agency_code), []):
        try:
            data = Path(path).read_bytes()
            if b"PRIVATE KEY" in data:
                key = serialization.load_pem_private_key(data, None).public_key()
            else:
                key = serialization.load_pem_public_key(data)
        except (OSError, ValueError, TypeError) as exc:
            raise CredentialKeyError(
                f"Cannot read the retired credential key {path}: {exc}"
            ) from exc
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise CredentialKeyError(f"{path} is not an ECDSA P-256 key.")
        pem = key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        found.append(ECKey.import_key(pem))
    return found


def key_thumbprint(agency_code: str) -> str:
    """RFC 7638 thumbprint of the public key: the fragment of its kid, stable across restarts
    and different for every key, so a rotated key never shares a kid with its predecessor."""
    return credential_key(agency_code).thumbprint()


def published_jwks(agency_code: str, *, did: str) -> list[dict[str, str]]:
    """The agency's public keys as published (no private part): the current key first, then
    the retired ones, each with kid `<did>#<thumbprint>` and its algorithm."""
    keys = [credential_key(agency_code), *retired_public_keys(agency_code)]
    return [
        {
            **key.as_dict(private=False),  # type: ignore[dict-item]  # a public JWK's members are strings
            "kid": f"{did}#{key.thumbprint()}",
            "alg": ALGORITHM,
            "use": "sig",
        }
        for key in keys
    ]


def clear_caches() -> None:
    """Forget loaded keys (after a key rotation)."""
    _credential_key.cache_clear()
