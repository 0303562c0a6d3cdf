"""What the portal publishes for credentials, and the check behind /verify/credential/.

Published (all public, all derived from the register and the agencies' credential keys):
- the portal's and each agency's did:web document, and the JWKS of every agency's key;
- each agency's Bitstring Status List as a signed status list credential (vc+jwt), built from
  the Credential rows' `revoked` flags on every request, so a revocation shows in the very next
  response. Only the signature is cached: under a key derived from the list's content (its
  ETag), so a cached signature can never stand for other bits.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import Resolver404, resolve
from django.utils import timezone

from applications.models import IssuingAgency, LineItem
from certificates.credential import (
    STATUS_MESSAGE_SIZE,
    STATUS_REVOKED,
    STATUS_SUPERSEDED,
    VC_CONTEXT,
    agency_did,
    agency_kid,
    credential_sign,
    portal_did,
    status_list_url,
)
from certificates.credential_keys import CredentialKeyError, published_jwks
from certificates.models import STATUS_LIST_SIZE, Certificate, Credential

from . import selectors
from .binding import credential_binds, embedded_token
from .models import VerificationLog

# The log's writers (queued in Redis or written at once) are shared with the other channels.
from .services import _log, _log_row, client_hash
from .vc_check import CredentialCheck, check_credential

logger = logging.getLogger(__name__)

# A signed status list is valid (validFrom .. validUntil) for STATUS_LIST_VALIDITY and served
# from the cache for at most STATUS_LIST_CACHE_SECONDS of that, so every list handed out has
# most of a day left; a verifier refuses one past its validUntil (an old list replayed after a
# revocation).
STATUS_LIST_VALIDITY = dt.timedelta(hours=24)
STATUS_LIST_CACHE_SECONDS = 3600
# How long a verifier may keep the list (also its Cache-Control max-age), in seconds.
STATUS_LIST_MAX_AGE = 60


# ---------------------------------------------------------------------------------------------
# Keys: JWKS and did:web documents
# ---------------------------------------------------------------------------------------------


def _agency_keys() -> list[tuple[IssuingAgency, dict[str, str]]]:
    published = []
    for agency in IssuingAgency.objects.order_by("code"):
        try:
            jwks = published_jwks(agency.code, did=agency_did(agency.code))
        except CredentialKeyError:
            # With DEBUG=0 an agency without a configured key issues nothing: nothing to publish.
            logger.warning("No credential key for %s: not in the JWKS", agency.code)
            continue
        published += [(agency, jwk) for jwk in jwks]
    return published


def jwks_document() -> dict[str, Any]:
    return {"keys": [jwk for _, jwk in _agency_keys()]}


def _verification_method(agency_code: str, jwk: dict[str, str]) -> dict[str, Any]:
    return {
        "id": jwk["kid"],
        "type": "JsonWebKey",
        "controller": agency_did(agency_code),
        "publicKeyJwk": jwk,
    }


def agency_did_document(agency_code: str) -> dict[str, Any] | None:
    """The agency's DID document (did:web:<host>:agencies:<code>), or None if unknown."""
    agency = IssuingAgency.objects.filter(code=agency_code).first()
    if agency is None:
        return None
    try:
        jwks = published_jwks(agency.code, did=agency_did(agency.code))
    except CredentialKeyError:
        return None
    did = agency_did(agency.code)
    methods = [_verification_method(agency.code, jwk) for jwk in jwks]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": did,
        "alsoKnownAs": [agency.name],
        "controller": portal_did(),
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def portal_did_document() -> dict[str, Any]:
    """The portal's own DID document (did:web:<host>): the hosts of every agency's key."""
    keys = _agency_keys()
    methods = [_verification_method(agency.code, jwk) for agency, jwk in keys]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": portal_did(),
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "service": [
            {
                "id": f"{portal_did()}#jwks",
                "type": "JsonWebKeySet",
                "serviceEndpoint": settings.SITE_URL + "/.well-known/jwks.json",
            }
        ],
    }


# ---------------------------------------------------------------------------------------------
# Status lists
# ---------------------------------------------------------------------------------------------


def status_list_encode(
    statuses: Iterable[int] | dict[int, int], size: int = STATUS_LIST_SIZE, *, bits: int = 1
) -> str:
    """encodedList: multibase base64url ("u") of the GZIP-compressed bitstring, `bits` bits an
    entry, index 0 the most significant bit(s) of the first byte. `statuses`: the indexes whose
    (one-bit) status is set, or {index: value} for wider entries. mtime=0 keeps equal lists
    byte-equal."""
    values = statuses if isinstance(statuses, dict) else dict.fromkeys(statuses, 1)
    packed_bits = bytearray(size * bits // 8)
    for index, value in values.items():
        for bit in range(bits):  # the value's most significant bit first
            if value >> (bits - 1 - bit) & 1:
                position = index * bits + bit
                packed_bits[position // 8] |= 0x80 >> (position % 8)
    packed = gzip.compress(bytes(packed_bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class StatusList:
    token: str
    etag: str


PURPOSES = ("revocation", "message")


def status_list_etag(
    agency: IssuingAgency, list_number: int, purpose: str = "revocation"
) -> tuple[str, str] | None:
    """(encodedList, weak ETag) of an agency's list as the register has it now; None if the
    list has never held a credential. The message list holds, for each revoked entry,
    "superseded" where its certificate was superseded and "revoked" otherwise."""
    entries = Credential.objects.filter(agency=agency, list_number=list_number)
    if list_number > 0 and not entries.exists():
        return None
    revoked = entries.filter(revoked=True)
    if purpose == "message":
        values = {
            index: STATUS_SUPERSEDED if status == Certificate.Status.SUPERSEDED else STATUS_REVOKED
            for index, status in revoked.values_list("status_index", "certificate__status")
        }
        encoded = status_list_encode(values, bits=STATUS_MESSAGE_SIZE)
    else:
        encoded = status_list_encode(revoked.values_list("status_index", flat=True))
    digest = hashlib.sha256(f"{agency.code}/{list_number}/{purpose}/{encoded}".encode()).hexdigest()
    # Weak: two nodes sign the same bits with different (ECDSA) signatures.
    return encoded, f'W/"{digest[:32]}"'


def status_list_get(
    *, agency_code: str, list_number: int, purpose: str = "revocation"
) -> StatusList | None:
    agency = IssuingAgency.objects.filter(code=agency_code).first()
    if agency is None:
        return None
    current = status_list_etag(agency, list_number, purpose)
    if current is None:
        return None
    encoded, etag = current
    # The signing key's id is part of the key: after a rotation the list is signed anew.
    key = f"vc-status:{agency_kid(agency.code)}:{list_number}:{purpose}:{etag}"
    token = cache.get(key)
    if token is None:
        url = status_list_url(agency.code, list_number, purpose=purpose)
        now = timezone.now()
        subject: dict[str, Any] = {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "ttl": STATUS_LIST_MAX_AGE * 1000,
            "encodedList": encoded,
        }
        document = {
            "@context": [VC_CONTEXT],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": {"id": agency_did(agency.code), "name": agency.name},
            "validFrom": now.isoformat(timespec="seconds"),
            "validUntil": (now + STATUS_LIST_VALIDITY).isoformat(timespec="seconds"),
            "credentialSubject": subject,
        }
        token = credential_sign(document, agency_code=agency.code)
        cache.set(key, token, STATUS_LIST_CACHE_SECONDS)
    return StatusList(token=token, etag=etag)


def status_list_for_url(url: str) -> str | None:
    """The current status list at one of the portal's own list URLs (None for any other)."""
    site = urlsplit(settings.SITE_URL)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    purposes = {"verification:status-list": "revocation", "verification:status-messages": "message"}
    if match.view_name not in purposes:
        return None
    found = status_list_get(
        agency_code=match.kwargs["agency"],
        list_number=match.kwargs["list_number"],
        purpose=purposes[match.view_name],
    )
    return found.token if found else None


# ---------------------------------------------------------------------------------------------
# /verify/credential/
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialAnswer:
    check: CredentialCheck
    certificate: Certificate | None = None
    items: list[LineItem] = field(default_factory=list)


def _check(token: str) -> CredentialAnswer:
    """The credential checked as an offline verifier would, then found in the register (by
    its id) and bound to it: a genuine credential whose facts are not its certificate's is
    refused."""
    check = check_credential(token, jwks=jwks_document(), status_list=status_list_for_url)
    answer = CredentialAnswer(check)
    if check.signature_valid:
        answer = _with_register(check)
    certificate = answer.certificate
    if certificate is not None and not credential_binds(check.claims, certificate):
        return dataclasses.replace(answer, check=dataclasses.replace(check, reason="pdf_mismatch"))
    if (
        check.reason == "revoked"
        and certificate is not None
        and certificate.status == Certificate.Status.SUPERSEDED
    ):
        # A credential without a message entry (issued before it): the register says why.
        answer = dataclasses.replace(answer, check=dataclasses.replace(check, reason="superseded"))
    return answer


def _logged(answer: CredentialAnswer, client_address: str) -> CredentialAnswer:
    ok = answer.check.ok
    outcome = VerificationLog.Outcome.AUTHENTIC if ok else VerificationLog.Outcome.REFUSED
    row = _log_row(
        channel=VerificationLog.Channel.CREDENTIAL,
        outcome=outcome,
        client=client_hash(client_address),
    )
    _log(answer.certificate.pk if answer.certificate else None, row)
    return answer


def verification_check_credential(*, token: str, client_address: str) -> CredentialAnswer:
    """Check a pasted or uploaded credential as an offline verifier would (verification.vc_check,
    with the portal's published keys and current status list), then find its certificate in
    the register (by credential id) to show the register's facts beside the credential's.
    Logged like every verification (channel "credential")."""
    return _logged(_check(token), client_address)


def verification_check_credential_pdf(*, data: bytes, client_address: str) -> CredentialAnswer:
    """Check the credential inside a certificate PDF, bound to that PDF: the PDF must be a
    revision the register holds (signature checked in the upload sandbox, bytes found by
    hash), and its credential must be that certificate's, fact for fact. A genuine credential
    of another certificate inside it is refused."""
    from .document_check import document_check  # loads pyHanko: only this path needs it

    pdf = document_check(data)
    certificate = None
    if pdf.ok or pdf.reason == "unknown_key":
        certificate = selectors.certificate_by_sha256(hashlib.sha256(data).hexdigest())
    if certificate is None:
        return _logged(CredentialAnswer(CredentialCheck("pdf_not_authentic")), client_address)
    token = embedded_token(data)  # the bytes are a register revision: ours, safe to read
    if token is None:
        return _logged(CredentialAnswer(CredentialCheck("no_credential")), client_address)
    answer = _check(token)
    if answer.certificate is None or answer.certificate.pk != certificate.pk:
        check = answer.check
        if check.signature_valid:  # a genuine credential, but another certificate's
            check = dataclasses.replace(check, reason="pdf_mismatch")
        answer = CredentialAnswer(check, certificate, selectors.certificate_items(certificate))
    return _logged(answer, client_address)


def _with_register(check: CredentialCheck) -> CredentialAnswer:
    credential = (
        Credential.objects.filter(credential_id=check.claims.get("id"))
        .select_related("certificate")
        .first()
    )
    if credential is None or credential.certificate is None:
        return CredentialAnswer(check)
    certificate = selectors.certificate_by_number(credential.certificate.number)
    if certificate is None:
        return CredentialAnswer(check)
    return CredentialAnswer(check, certificate, selectors.certificate_items(certificate))
