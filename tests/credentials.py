"""Checking the portal's credentials as an outsider would: jwcrypto (not joserfc, which the
portal signs with), keys resolved from the published did:web document or JWKS, status lists
decoded here by hand (base64url, gzip, bit order as the Bitstring Status List spec says)."""

from __future__ import annotations

import base64
import gzip
import io
import json
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.test import Client
from jwcrypto import jwk, jws
from pypdf import PdfReader


def b64url_json(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def header_of(token: str) -> dict[str, Any]:
    return b64url_json(token.split(".")[0])


def payload_of(token: str) -> dict[str, Any]:
    return b64url_json(token.split(".")[1])


def did_web_path(did: str) -> str:
    """did:web:<host>:a:b -> /a/b/did.json; did:web:<host> -> /.well-known/did.json."""
    method, _, rest = did.partition(":web:")
    assert method == "did", did
    host, *segments = rest.split(":")
    assert unquote(host) == urlsplit(settings.SITE_URL).netloc
    if not segments:
        return "/.well-known/did.json"
    return "/" + "/".join(unquote(s) for s in segments) + "/did.json"


def key_from_did_document(client: Client, kid: str) -> jwk.JWK:
    did = kid.split("#", 1)[0]
    response = client.get(did_web_path(did))
    assert response.status_code == 200, did
    document = response.json()
    assert document["id"] == did
    method = next(m for m in document["verificationMethod"] if m["id"] == kid)
    assert kid in document["assertionMethod"]
    return jwk.JWK(**method["publicKeyJwk"])


def key_from_jwks(client: Client, kid: str) -> jwk.JWK:
    keys = jwk.JWKSet.from_json(client.get("/.well-known/jwks.json").content)
    found = keys.get_key(kid)
    assert found is not None, kid
    return found


def verify(token: str, key: jwk.JWK) -> dict[str, Any]:
    """The payload of a compact JWS that verifies with `key` (ES256); raises otherwise."""
    signed = jws.JWS()
    signed.deserialize(token)
    signed.verify(key, alg="ES256")
    assert signed.jose_header["typ"] == "vc+jwt"
    return json.loads(signed.payload)


def verify_published(client: Client, token: str) -> dict[str, Any]:
    """Verified with the key its kid names, resolved from the issuer's did:web document."""
    return verify(token, key_from_did_document(client, header_of(token)["kid"]))


def status_entry(credential: dict[str, Any], purpose: str = "revocation") -> dict[str, Any]:
    """The credential's status entry of that purpose ("revocation" or "message")."""
    (entry,) = [e for e in credential["credentialStatus"] if e["statusPurpose"] == purpose]
    return entry


def status_bit(client: Client, credential: dict[str, Any]) -> bool:
    """The credential's revocation bit, read from its status list fetched through the client."""
    entry = status_entry(credential)
    assert entry["type"] == "BitstringStatusListEntry"
    assert entry["statusPurpose"] == "revocation"
    url = entry["statusListCredential"]
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vc+jwt"
    status_list = verify_published(client, response.content.decode())
    assert status_list["id"] == url
    assert status_list["issuer"]["id"] == credential["issuer"]["id"]
    encoded = status_list["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")  # multibase base64url, no padding
    packed = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))
    assert len(bits) * 8 >= 131_072
    index = int(entry["statusListIndex"])
    return bool(bits[index // 8] >> (7 - index % 8) & 1)  # index 0: first byte's highest bit


def status_message(client: Client, credential: dict[str, Any]) -> str:
    """The message ("valid", "revoked", "superseded") of the credential's message entry: its
    statusSize bits read from the message list fetched through the client, verified with
    jwcrypto, mapped through the entry's statusMessage."""
    entry = status_entry(credential, "message")
    size = int(entry["statusSize"])
    url = entry["statusListCredential"]
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    status_list = verify_published(client, response.content.decode())
    assert status_list["id"] == url
    assert status_list["credentialSubject"]["statusPurpose"] == "message"
    packed = status_list["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)))
    index = int(entry["statusListIndex"])
    value = 0
    for position in range(index * size, (index + 1) * size):
        value = value << 1 | (bits[position // 8] >> (7 - position % 8) & 1)
    (message,) = [m["message"] for m in entry["statusMessage"] if int(m["status"], 16) == value]
    return message


def embedded_credential(pdf: bytes) -> str:
    """The credential attached inside the PDF, read with pypdf."""
    attachments = PdfReader(io.BytesIO(pdf)).attachments
    assert list(attachments) == ["credential.jwt"], list(attachments)
    return attachments["credential.jwt"][0].decode("ascii")
