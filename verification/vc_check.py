"""Check a certificate's Verifiable Credential offline: signature, issuer, validity, status.

Stand-alone on purpose: it needs the Python standard library and joserfc, nothing of Django or
of the portal, so a customs or bank system can copy this one file and run it with

    python -m verification.vc_check credential.jwt --jwks jwks.json --status-list list.jwt
    python vc_check.py credential.jwt --jwks jwks.json --status-list list.jwt   (copied alone)

where jwks.json is the portal's /.well-known/jwks.json and list.jwt the status list named by the
credential's revocation entry (credentialStatus, statusPurpose "revocation"), both fetched once
and kept. Pass the list its "message" entry names too (a second --status-list) to tell a
superseded certificate from a revoked one. It prints the
verdict and the certificate's facts as JSON and exits 0 if the credential is valid, 1 if it is
refused (the reason is printed), 2 if the files cannot be read. The portal's own
/verify/credential/ page runs the same checks (check_credential).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import gzip
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

ALGORITHM = "ES256"
# How far the signer's clock may run ahead of the checker's: a list (or a credential) signed a
# moment ago by a portal node whose clock is a few seconds ahead, or checked by a verifier whose
# clock is behind, is not "not yet valid". RFC 7519 4.1.5 allows "some small leeway, usually no
# more than a few minutes"; a minute is plenty for clocks kept by NTP. Expiry has no leeway.
CLOCK_SKEW = timedelta(seconds=60)
MEDIA_TYPES = {"vc+jwt", "application/vc+jwt"}

REASONS = {
    "ok": "The signature is the issuer's, the credential is in force and not revoked.",
    "malformed": "This is not a credential secured as a JWS (three base64url parts).",
    "wrong_type": "The credential is not secured as application/vc+jwt with ES256.",
    "unknown_key": "The credential names a key (kid) that the issuer's published keys do not hold.",
    "signature_invalid": (
        "The signature does not match the credential: a claim was changed after signing, "
        "or it was signed with a key other than the one it names."
    ),
    "issuer_mismatch": "The key that signed the credential does not belong to its issuer.",
    "not_yet_valid": "The credential is not valid yet (validFrom is in the future).",
    "expired": "The credential has expired (validUntil has passed).",
    "no_status": "The credential carries no revocation status entry.",
    "status_list_missing": "The status list the credential names was not available.",
    "status_list_invalid": (
        "The status list is not signed by the credential's issuer, or is not the list the "
        "credential names."
    ),
    "status_list_stale": (
        "The status list is out of date (past its validUntil, or it has none): fetch the "
        "current one, as a revocation may have come since."
    ),
    "revoked": "The issuer has revoked this credential: its bit on the status list is set.",
    # The portal's page only, where a PDF or the register is at hand (verification/binding.py).
    "pdf_not_authentic": (
        "The PDF is not a certificate this portal issued, so its credential proves nothing: "
        "check the PDF on the document check page for the reason."
    ),
    "no_credential": "The PDF carries no credential.",
    "pdf_mismatch": (
        "The credential is not the certificate's it came with: its number, facts or PDF hash "
        "differ from the certificate's in the register. Do not rely on it."
    ),
    # Read from the message list (statusPurpose "message"): given it, the offline check too.
    "superseded": (
        "The certificate was replaced by another issued in lieu of it: this credential is no "
        "longer in force (its bit on the status list is set). Check the replacement."
    ),
}


class CheckError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason


@dataclass(frozen=True)
class CredentialCheck:
    reason: str
    header: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, Any] = field(default_factory=dict)
    signature_valid: bool = False
    revoked: bool | None = None  # None: the status could not be read

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    @property
    def reason_text(self) -> str:
        return REASONS[self.reason]

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "reason": self.reason,
            "detail": self.reason_text,
            "signature_valid": self.signature_valid,
            "revoked": self.revoked,
            "kid": self.header.get("kid"),
            "credential": self.claims or None,
        }


# ---------------------------------------------------------------------------------------------
# JWS
# ---------------------------------------------------------------------------------------------


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload as they claim to be (nothing checked): for showing what was pasted."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise CheckError("malformed")
    try:
        header = json.loads(_b64decode(parts[0]))
        payload = json.loads(_b64decode(parts[1]))
    except (ValueError, binascii.Error, RecursionError) as exc:  # deep nesting: RecursionError
        raise CheckError("malformed") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise CheckError("malformed")
    return header, payload


def _key_for(kid: str, jwks: Mapping[str, Any]) -> ECKey:
    for candidate in jwks.get("keys", []):
        if isinstance(candidate, dict) and candidate.get("kid") == kid:
            public = {k: v for k, v in candidate.items() if k != "d"}  # never a private part
            try:
                return ECKey.import_key(public)
            except (JoseError, ValueError) as exc:
                raise CheckError("unknown_key") from exc
    raise CheckError("unknown_key")


def verify_jws(token: str, jwks: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a vc+jwt whose ES256 signature verifies with the key its kid names
    in `jwks`, and whose issuer owns that key (the kid is a DID URL of the issuer's DID)."""
    header, _ = unverified_parts(token)
    if header.get("alg") != ALGORITHM or header.get("typ") not in MEDIA_TYPES:
        raise CheckError("wrong_type")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise CheckError("unknown_key")
    key = _key_for(kid, jwks)
    try:
        verified = jws.deserialize_compact(token.strip(), key, algorithms=[ALGORITHM])
    except JoseError as exc:
        raise CheckError("signature_invalid") from exc
    try:
        claims = json.loads(verified.payload)
    except ValueError as exc:
        raise CheckError("malformed") from exc
    issuer = claims.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer_id, str) or kid.split("#", 1)[0] != issuer_id:
        raise CheckError("issuer_mismatch")
    return header, claims


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Bitstring Status List
# ---------------------------------------------------------------------------------------------


def decode_status_list(encoded_list: str) -> bytes:
    """The bitstring of a BitstringStatusList's encodedList: multibase base64url ("u" prefix)
    of the GZIP-compressed bits."""
    text = encoded_list[1:] if encoded_list.startswith("u") else encoded_list
    return gzip.decompress(_b64decode(text))


def bit_is_set(bitstring: bytes, index: int) -> bool:
    """Index 0 is the most significant (left-most) bit of the first byte, as the spec says."""
    if not 0 <= index < len(bitstring) * 8:
        raise IndexError(index)
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def _entry(claims: Mapping[str, Any], purpose: str) -> dict[str, Any] | None:
    entries = claims.get("credentialStatus")
    entries = entries if isinstance(entries, list) else [entries]
    return next(
        (
            e
            for e in entries
            if isinstance(e, dict)
            and e.get("type") == "BitstringStatusListEntry"
            and e.get("statusPurpose") == purpose
        ),
        None,
    )


def _read_entry(
    claims: Mapping[str, Any],
    entry: Mapping[str, Any],
    jwks: Mapping[str, Any],
    status_list: Callable[[str], str | None],
    now: datetime,
    size: int = 1,
) -> int:
    """The value of the credential's entry (`size` bits, most significant first) on the
    verified, current status list the entry names."""
    url = entry.get("statusListCredential")
    try:
        index = int(entry["statusListIndex"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckError("no_status") from exc
    token = status_list(url) if isinstance(url, str) else None
    if not token:
        raise CheckError("status_list_missing")
    try:
        _, list_claims = verify_jws(token, jwks)
    except CheckError as exc:
        raise CheckError("status_list_invalid") from exc
    subject = list_claims.get("credentialSubject") or {}
    if (
        list_claims.get("id") != url
        or _issuer_id(list_claims) != _issuer_id(claims)
        or "BitstringStatusListCredential" not in list_claims.get("type", [])
        or subject.get("statusPurpose") != entry.get("statusPurpose")
    ):
        raise CheckError("status_list_invalid")
    try:
        list_from = _instant(list_claims.get("validFrom"))
        list_until = _instant(list_claims.get("validUntil"))
    except ValueError as exc:
        raise CheckError("status_list_invalid") from exc
    if (
        list_until is None
        or list_until < now
        or (list_from is not None and list_from > now + CLOCK_SKEW)
    ):
        raise CheckError("status_list_stale")
    try:
        bitstring = decode_status_list(subject["encodedList"])
        value = 0
        for position in range(index * size, index * size + size):
            value = value << 1 | bit_is_set(bitstring, position)
    except (KeyError, ValueError, OSError, IndexError, binascii.Error) as exc:
        raise CheckError("status_list_invalid") from exc
    return value


def _status(
    claims: Mapping[str, Any],
    jwks: Mapping[str, Any],
    status_list: Callable[[str], str | None],
    now: datetime,
) -> bool:
    """Whether the credential's revocation bit is set, read from its verified status list."""
    entry = _entry(claims, "revocation")
    if entry is None:
        raise CheckError("no_status")
    return bool(_read_entry(claims, entry, jwks, status_list, now))


def _status_message(
    claims: Mapping[str, Any],
    jwks: Mapping[str, Any],
    status_list: Callable[[str], str | None],
    now: datetime,
) -> str | None:
    """The message (e.g. "superseded") the credential's "message" entry has on its list, or
    None where it has no such entry or the list is not at hand."""
    entry = _entry(claims, "message")
    if entry is None:
        return None
    try:
        size = int(entry.get("statusSize", 1))
        if not 1 <= size <= 8:
            return None
        value = _read_entry(claims, entry, jwks, status_list, now, size=size)
    except (CheckError, TypeError, ValueError):
        return None
    for message in entry.get("statusMessage") or []:
        if not isinstance(message, dict) or not isinstance(message.get("status"), str):
            continue
        try:
            if int(message["status"], 16) == value:
                text = message.get("message")
                return text if isinstance(text, str) else None
        except ValueError:
            continue
    return None


def _issuer_id(claims: Mapping[str, Any]) -> Any:
    issuer = claims.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer


# ---------------------------------------------------------------------------------------------
# The whole check
# ---------------------------------------------------------------------------------------------


def check_credential(
    token: str,
    *,
    jwks: Mapping[str, Any],
    status_list: Callable[[str], str | None],
    now: datetime | None = None,
) -> CredentialCheck:
    """Signature (ES256, key by kid from jwks), issuer owns the key, validFrom/validUntil, and
    the revocation bit on the status list that `status_list(url)` returns (a signed list)."""
    now = now or datetime.now(UTC)
    try:
        header, claims = verify_jws(token, jwks)
    except CheckError as failed:
        try:
            header, claims = unverified_parts(token)
        except CheckError:
            header, claims = {}, {}
        return CredentialCheck(failed.reason, header, claims)
    try:
        valid_from = _instant(claims.get("validFrom"))
        valid_until = _instant(claims.get("validUntil"))
    except ValueError:
        return CredentialCheck("malformed", header, claims, signature_valid=True)
    if valid_from is not None and valid_from > now + CLOCK_SKEW:
        return CredentialCheck("not_yet_valid", header, claims, signature_valid=True)
    if valid_until is not None and valid_until < now:
        return CredentialCheck("expired", header, claims, signature_valid=True)
    try:
        revoked = _status(claims, jwks, status_list, now)
    except CheckError as failed:
        return CredentialCheck(failed.reason, header, claims, signature_valid=True)
    reason = "revoked" if revoked else "ok"
    if revoked and _status_message(claims, jwks, status_list, now) == "superseded":
        # The message list says why the bit is set (when it is at hand: --status-list for it).
        reason = "superseded"
    return CredentialCheck(reason, header, claims, signature_valid=True, revoked=revoked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vc_check",
        description="Check a Certificate of Origin credential (vc+jwt) offline.",
    )
    parser.add_argument("credential", type=Path, help="the credential (.jwt), as downloaded")
    parser.add_argument("--jwks", type=Path, required=True, help="the issuer's JWKS (JSON)")
    parser.add_argument(
        "--status-list",
        type=Path,
        action="append",
        default=[],
        help="a status list credential (.jwt) the credential may name (repeatable)",
    )
    args = parser.parse_args(argv)
    try:
        token = args.credential.read_text().strip()
        jwks = json.loads(args.jwks.read_text())
        lists: dict[str, str] = {}
        for path in args.status_list:
            list_token = path.read_text().strip()
            list_id = unverified_parts(list_token)[1].get("id")
            if isinstance(list_id, str):
                lists[list_id] = list_token
    except (OSError, ValueError, CheckError) as exc:
        print(f"vc_check: {exc}", file=sys.stderr)
        return 2
    result = check_credential(token, jwks=jwks, status_list=lists.get)
    print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    print(("VALID: " if result.ok else "REFUSED: ") + result.reason_text, file=sys.stderr)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
