"""Check a certificate's place in an agency's transparency log, offline: no Django, no portal.

    python -m verification.logcheck inclusion ANSWER.json --keys JWKS.json [--pdf CERT.pdf]
    python -m verification.logcheck consistency HEAD1.json HEAD2.json PROOF.json --keys JWKS.json

ANSWER.json is the verification API's answer (/api/v1/certificates/<number>?code=...): each
of the certificate's leaves is hashed again from its text, its inclusion proof is checked
against the signed tree head in the answer, the head's signature against the agency's key
(JWKS.json: /.well-known/jwks.json, or the agency's did.json), and the leaf against the
answer (number; the issue leaf's pdf_sha256 against the answer's sha256 and, with --pdf,
against the file itself). HEAD1/HEAD2 are two signed heads (/transparency/<agency>/ or
/heads/<size>) and PROOF.json the consistency proof between them
(/transparency/<agency>/consistency?first=..&second=..).

Exit status 0 when everything holds, 1 when a check fails (each failure is printed), 2 on
unreadable input. Needs Python 3.11 and the `cryptography` package.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from verification import merkle

ISSUE_EVENTS = {"issued", "replacement"}


class CheckFailedError(Exception):
    """One check did not hold."""


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _keys(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The public keys by kid, from a JWKS or a DID document."""
    found = list(document.get("keys", []))
    found += [m["publicKeyJwk"] for m in document.get("verificationMethod", [])]
    return {key["kid"]: key for key in found if "kid" in key}


def _public_key(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise CheckFailedError(f"key {jwk.get('kid')} is not an ECDSA P-256 key")
    x = int.from_bytes(_b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(_b64url_decode(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def head_check(head: dict[str, Any], keys: dict[str, dict[str, str]]) -> None:
    """The head's JWS is an ES256 signature by a published key over exactly its fields."""
    try:
        protected, payload, signature = head["signature"].split(".")
        header = json.loads(_b64url_decode(protected))
        claims = json.loads(_b64url_decode(payload))
        raw = _b64url_decode(signature)
    except (KeyError, ValueError) as exc:
        raise CheckFailedError(f"the signed tree head is malformed: {exc}") from exc
    if header.get("alg") != "ES256" or len(raw) != 64:
        raise CheckFailedError("the signed tree head is not signed with ES256")
    jwk = keys.get(header.get("kid", ""))
    if jwk is None:
        raise CheckFailedError(
            f"the head is signed by {header.get('kid')!r}, which is not published"
        )
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        _public_key(jwk).verify(
            der, f"{protected}.{payload}".encode("ascii"), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature as exc:
        raise CheckFailedError("the signed tree head's signature does not verify") from exc
    for name in ("agency", "tree_size", "timestamp", "sha256_root_hash"):
        if claims.get(name) != head.get(name):
            raise CheckFailedError(f"the head's {name} differs from what its signature covers")


def inclusion_check(
    answer: dict[str, Any], keys: dict[str, dict[str, str]], pdf: bytes | None = None
) -> list[str]:
    """Check every leaf of a verification API answer; what was shown, line by line."""
    log = answer.get("transparency")
    if not log or not log.get("leaves"):
        raise CheckFailedError("the answer carries no transparency log entry")
    head = log.get("signed_tree_head")
    if head is None:
        raise CheckFailedError("no signed tree head covers this certificate yet: try again later")
    head_check(head, keys)
    root = bytes.fromhex(head["sha256_root_hash"])
    shown = [f"signed tree head of {head['agency']}: {head['tree_size']} leaves, signature valid"]
    for item in log["leaves"]:
        entry = json.loads(item["leaf"])
        if entry.get("number") != answer.get("number"):
            raise CheckFailedError(f"leaf {item['leaf_index']} is of {entry.get('number')}")
        if entry.get("agency") != head["agency"]:
            raise CheckFailedError(f"leaf {item['leaf_index']} is in another agency's log")
        if entry.get("event") in ISSUE_EVENTS:
            if entry.get("pdf_sha256") != answer.get("sha256"):
                raise CheckFailedError("the issue leaf's PDF hash differs from the register's")
            if pdf is not None and hashlib.sha256(pdf).hexdigest() != entry["pdf_sha256"]:
                raise CheckFailedError("the PDF file is not the one the log recorded at issue")
        proof = item.get("inclusion_proof")
        if proof is None:
            shown.append(f"leaf {item['leaf_index']} ({entry['event']}): not yet in a head")
            continue
        computed = merkle.leaf_hash(item["leaf"].encode("ascii"))
        ok = proof["tree_size"] == head["tree_size"] and merkle.inclusion_verify(
            index=item["leaf_index"],
            size=proof["tree_size"],
            leaf=computed,
            path=[bytes.fromhex(p) for p in proof["audit_path"]],
            expected_root=root,
        )
        if not ok:
            raise CheckFailedError(f"leaf {item['leaf_index']} is not included in the signed head")
        shown.append(f"leaf {item['leaf_index']} ({entry['event']} {entry['time']}): included")
    return shown


def consistency_check(
    first: dict[str, Any],
    second: dict[str, Any],
    proof: dict[str, Any],
    keys: dict[str, dict[str, str]],
) -> list[str]:
    """Both heads are signed, of the same log, and the first tree is a prefix of the second."""
    head_check(first, keys)
    head_check(second, keys)
    if first["agency"] != second["agency"]:
        raise CheckFailedError("the two heads are of different agencies' logs")
    if first["tree_size"] > second["tree_size"]:
        first, second = second, first
    if (proof.get("first"), proof.get("second")) != (first["tree_size"], second["tree_size"]):
        raise CheckFailedError("the proof is not between these two heads' sizes")
    ok = merkle.consistency_verify(
        first=first["tree_size"],
        second=second["tree_size"],
        first_root=bytes.fromhex(first["sha256_root_hash"]),
        second_root=bytes.fromhex(second["sha256_root_hash"]),
        proof=[bytes.fromhex(p) for p in proof["consistency_path"]],
    )
    if not ok:
        raise CheckFailedError(
            f"the log of {first['tree_size']} leaves is not a prefix of the log of "
            f"{second['tree_size']}: its history was rewritten"
        )
    return [
        f"heads of {first['agency']} at {first['tree_size']} and {second['tree_size']} leaves: "
        "both signed, consistent"
    ]


def _read_json(path: str) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verification.logcheck", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("inclusion", help="a certificate's leaves are in the signed log")
    one.add_argument("answer", help="the verification API's JSON answer")
    one.add_argument("--keys", required=True, help="the portal's JWKS or the agency's did.json")
    one.add_argument("--pdf", help="the certificate's PDF, compared with the logged hash")
    two = sub.add_parser("consistency", help="one signed head's log extends the other's")
    two.add_argument("first")
    two.add_argument("second")
    two.add_argument("proof")
    two.add_argument("--keys", required=True, help="the portal's JWKS or the agency's did.json")
    args = parser.parse_args(argv)
    try:
        keys = _keys(_read_json(args.keys))
        if args.command == "inclusion":
            pdf = Path(args.pdf).read_bytes() if args.pdf else None
            shown = inclusion_check(_read_json(args.answer), keys, pdf)
        else:
            first, second = _read_json(args.first), _read_json(args.second)
            shown = consistency_check(first, second, _read_json(args.proof), keys)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"unreadable input: {exc}", file=sys.stderr)
        return 2
    except CheckFailedError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for line in shown:
        print(line)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
