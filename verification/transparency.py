"""The public transparency log of each issuing agency (RFC 9162 hashing: verification/merkle.py).

Every issue, replacement, supersession and revocation of a certificate is appended as a leaf
inside the transaction that makes it (certificate_changed, connected in VerificationConfig.ready),
under a lock on the agency's log row: the order is total and a rolled-back change leaves no
leaf. A leaf is the canonical JSON of

    {"agency", "number", "event", "pdf_sha256", "credential_sha256", "time", "v": 1}

where pdf_sha256 is the SHA-256 of the signed PDF as issued (its first revision: later
revisions such as archive timestamps append to it) and credential_sha256 that of the
downloadable credential (vc+jwt), "" for a certificate issued before credentials.

celery beat signs a tree head for every log that grew (`heads_publish`, every
TRANSPARENCY_HEAD_SECONDS) with the agency's credential key (ES256, published in its did.json
and the portal's JWKS). The heads, inclusion proofs, consistency proofs and the leaves are
public (verification/log_views.py); `python -m verification.logcheck` checks them offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from joserfc import jws
from redis.exceptions import RedisError

from certificates.credential import agency_kid
from certificates.credential_keys import ALGORITHM, credential_key
from certificates.models import Certificate, Credential
from reference.models import IssuingAgency

from . import merkle, store
from .models import LogLeaf, LogNode, SignedTreeHead, TransparencyLog

HEAD_TYPE = "coo-sth+jws"
MAX_LEAVES_PER_PAGE = 1000


def _hex(value: bytes) -> str:
    return value.hex()


def leaf_entry(
    *,
    agency: str,
    number: str,
    event: str,
    pdf_sha256: str,
    credential_sha256: str,
    time: dt.datetime,
) -> str:
    """The leaf's exact text: sorted keys, no spaces, ASCII, time in UTC to the millisecond."""
    stamp = time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return json.dumps(
        {
            "v": 1,
            "agency": agency,
            "number": number,
            "event": event,
            "pdf_sha256": pdf_sha256,
            "credential_sha256": credential_sha256,
            "time": stamp,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


# ---------------------------------------------------------------------------------------------
# Appending
# ---------------------------------------------------------------------------------------------


def _log_locked(agency_id: int) -> TransparencyLog:
    """The agency's log row, locked until the transaction ends (made on first use)."""
    log = TransparencyLog.objects.select_for_update().filter(agency_id=agency_id).first()
    if log is not None:
        return log
    try:
        with transaction.atomic():
            TransparencyLog.objects.create(agency_id=agency_id)
    except IntegrityError:
        pass  # another transaction made it first; the lock below waits for it
    return TransparencyLog.objects.select_for_update().get(agency_id=agency_id)


def _event_due(certificate: Certificate, logged: set[str]) -> str | None:
    """The event the certificate's present state calls for, unless it is in the log already."""
    if certificate.status == Certificate.Status.VALID:
        replaces = certificate.application.replaces_id is not None
        event = LogLeaf.Event.REPLACEMENT if replaces else LogLeaf.Event.ISSUED
    elif certificate.superseded_by_id is not None and LogLeaf.Event.SUPERSEDED not in logged:
        # Superseded, or revoked first and replaced afterwards (it stays revoked).
        event = LogLeaf.Event.SUPERSEDED
    elif certificate.status == Certificate.Status.REVOKED:
        event = LogLeaf.Event.REVOKED
    else:
        event = LogLeaf.Event.SUPERSEDED
    return None if event in logged else event


@dataclass(frozen=True)
class _NewLeaf:
    certificate_id: int | None
    event: str
    entry: str
    logged_at: dt.datetime


def _credential_sha256(certificate_id: int) -> str:
    jwt = Credential.objects.filter(certificate_id=certificate_id).values_list("jwt", flat=True)
    token = next(iter(jwt), "")
    return hashlib.sha256(token.encode("ascii")).hexdigest() if token else ""


def _new_leaf(certificate: Certificate, event: str, agency_code: str) -> _NewLeaf:
    now = timezone.now()
    entry = leaf_entry(
        agency=agency_code,
        number=certificate.number,
        event=event,
        pdf_sha256=certificate.sha256,
        credential_sha256=_credential_sha256(certificate.pk),
        time=now,
    )
    return _NewLeaf(certificate.pk, event, entry, now)


class TransparencyLogBrokenError(RuntimeError):
    """The log's stored size points past leaves or subtrees that are no longer stored (a
    restore that left them out, a TRUNCATE that cascaded to them): nothing can be appended, and
    no certificate change may happen, until the log's rows are restored from a backup."""


def frontier(size: int) -> list[tuple[int, int]]:
    """The stored positions the next append reads, plus the last leaf: for each set bit k of
    `size`, the perfect subtree of 2**k leaves that ends the tree (level k, index
    (size >> k) - 1), and leaf size - 1 (which proves that the tail is still there)."""
    if size == 0:
        return []
    positions = {(0, size - 1)}
    for level in range(size.bit_length()):
        if size >> level & 1:
            positions.add((level, (size >> level) - 1))
    return sorted(positions)


def _frontier_read(log: TransparencyLog) -> dict[tuple[int, int], bytes]:
    """The log's stored frontier hashes (two queries); a position not stored is absent."""
    wanted = frontier(log.size)
    found: dict[tuple[int, int], bytes] = {}
    leaves = [index for level, index in wanted if level == 0]
    if leaves:
        rows = LogLeaf.objects.filter(log=log, index__in=leaves).values_list("index", "leaf_hash")
        found |= {(0, index): bytes.fromhex(value) for index, value in rows}
    nodes = [key for key in wanted if key[0] > 0]
    if nodes:
        where = Q()
        for level, index in nodes:
            where |= Q(level=level, index=index)
        rows2 = LogNode.objects.filter(where, log=log).values_list("level", "index", "hash")
        found |= {(level, index): bytes.fromhex(value) for level, index, value in rows2}
    return found


def frontier_missing(log: TransparencyLog) -> list[tuple[int, int]]:
    """The frontier positions (level, index) of the log that are not stored."""
    found = _frontier_read(log)
    return [key for key in frontier(log.size) if key not in found]


def _broken(log: TransparencyLog, missing: Sequence[tuple[int, int]]) -> str:
    code = IssuingAgency.objects.filter(pk=log.agency_id).values_list("code", flat=True).first()
    where = ", ".join(
        f"leaf {index}" if level == 0 else f"subtree {level}/{index}" for level, index in missing
    )
    return (
        f"The transparency log of {code} says it holds {log.size} leaves, but {where} "
        "is not stored: restore the log's rows (verification_logleaf, verification_lognode) "
        "from a backup before anything is issued, replaced or revoked (docs/operations.md)."
    )


def log_problems() -> list[str]:
    """One line per agency log whose stored size points past missing rows (readiness, the
    system check): a few indexed lookups per agency, whatever the logs' sizes."""
    problems = []
    for log in TransparencyLog.objects.filter(size__gt=0).order_by("pk"):
        missing = frontier_missing(log)
        if missing:
            problems.append(_broken(log, missing))
    return problems


def _append(log: TransparencyLog, new: Sequence[_NewLeaf]) -> list[LogLeaf]:
    """Append leaves to a locked log: the leaves, the subtrees they complete, the new size.
    Refused (TransparencyLogBrokenError, which rolls the caller's change back) when the log's
    frontier is not stored: the new root would be computed over leaves that are gone."""
    stored = _frontier_read(log)
    missing = [key for key in frontier(log.size) if key not in stored]
    if missing:
        raise TransparencyLogBrokenError(_broken(log, missing))
    hashes = [merkle.leaf_hash(leaf.entry.encode("ascii")) for leaf in new]

    def existing(level: int, index: int) -> bytes:
        # new_subtrees reads only the frontier (the left edge of the growing part).
        return stored[(level, index)]

    nodes = merkle.new_subtrees(log.size, hashes, existing)
    leaves = LogLeaf.objects.bulk_create(
        [
            LogLeaf(
                log=log,
                index=log.size + i,
                certificate_id=leaf.certificate_id,
                event=leaf.event,
                entry=leaf.entry,
                leaf_hash=_hex(hashes[i]),
                logged_at=leaf.logged_at,
            )
            for i, leaf in enumerate(new)
        ],
        batch_size=500,
    )
    LogNode.objects.bulk_create(
        [
            LogNode(log=log, level=level, index=index, hash=_hex(value))
            for (level, index), value in nodes.items()
        ],
        batch_size=500,
    )
    log.size += len(new)
    log.save(update_fields=["size"])
    return leaves


def transparency_append(*, certificate_id: int) -> LogLeaf | None:
    """Append the leaf that the certificate's present state calls for (issued, replacement,
    superseded or revoked) to its agency's log; None if that event is logged already. Must
    run inside the transaction that changed the certificate."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transparency_append() must run inside the certificate's transaction.")
    certificate = Certificate.objects.select_related("application__agency").get(pk=certificate_id)
    agency = certificate.application.agency
    log = _log_locked(agency.pk)
    logged = set(
        LogLeaf.objects.filter(certificate_id=certificate_id).values_list("event", flat=True)
    )
    event = _event_due(certificate, logged)
    if event is None:
        return None
    return _append(log, [_new_leaf(certificate, event, agency.code)])[0]


def transparency_on_certificate_changed(sender: object, *, number: str, **kwargs: object) -> None:
    """certificate_changed's receiver (connected in VerificationConfig.ready). An error rolls
    the certificate's change back: a change the log cannot show must not happen."""
    certificate_id = Certificate.objects.filter(number=number).values_list("pk", flat=True).get()
    transparency_append(certificate_id=certificate_id)


@transaction.atomic
def transparency_backfill(*, agency_code: str) -> int:
    """Append an "issued" leaf for each of the agency's certificates that has none (made before
    the log existed), in the order they were issued; returns how many. Their events that came
    later are not known to the log: from now on every change is."""
    agency = IssuingAgency.objects.get(code=agency_code)
    log = _log_locked(agency.pk)
    missing = (
        Certificate.objects.filter(application__agency=agency)
        .exclude(log_leaves__isnull=False)
        .order_by("issued_at", "pk")
    )
    new = []
    for certificate in missing.iterator():
        new.append(
            _NewLeaf(
                certificate.pk,
                LogLeaf.Event.ISSUED,
                leaf_entry(
                    agency=agency.code,
                    number=certificate.number,
                    event=LogLeaf.Event.ISSUED,
                    pdf_sha256=certificate.sha256,
                    credential_sha256=_credential_sha256(certificate.pk),
                    time=certificate.issued_at,
                ),
                certificate.issued_at,
            )
        )
    if new:
        _append(log, new)
    return len(new)


# ---------------------------------------------------------------------------------------------
# Reading: roots and proofs from the stored subtrees, in two queries
# ---------------------------------------------------------------------------------------------


def _read(log: TransparencyLog, compute: Callable[[merkle.Subtrees], Any]) -> Any:
    """Run `compute` over the log's stored subtrees: once to learn which it reads, then with
    those read in (one query for leaves, one for larger subtrees)."""
    asked = merkle.needed(compute)
    hashes: dict[tuple[int, int], bytes] = {}
    leaves = [index for level, index in asked if level == 0]
    if leaves:
        rows = LogLeaf.objects.filter(log=log, index__in=leaves).values_list("index", "leaf_hash")
        hashes |= {(0, index): bytes.fromhex(value) for index, value in rows}
    nodes = [key for key in asked if key[0] > 0]
    if nodes:
        where = Q()
        for level, index in nodes:
            where |= Q(level=level, index=index)
        rows2 = LogNode.objects.filter(where, log=log).values_list("level", "index", "hash")
        hashes |= {(level, index): bytes.fromhex(value) for level, index, value in rows2}
    return compute(merkle.Known(hashes))


def log_root(log: TransparencyLog, size: int) -> bytes:
    return _read(log, lambda source: merkle.root(source, size))  # type: ignore[no-any-return]  # _read returns what compute does


def log_inclusion(log: TransparencyLog, index: int, size: int) -> list[bytes]:
    return _read(log, lambda source: merkle.inclusion_path(source, index, size))  # type: ignore[no-any-return]  # _read returns what compute does


def log_consistency(log: TransparencyLog, first: int, second: int) -> list[bytes]:
    return _read(log, lambda source: merkle.consistency_proof(source, first, second))  # type: ignore[no-any-return]  # _read returns what compute does


def log_of(agency_code: str) -> TransparencyLog | None:
    return TransparencyLog.objects.filter(agency__code=agency_code).first()


def head_latest(log: TransparencyLog) -> SignedTreeHead | None:
    return SignedTreeHead.objects.filter(log=log).order_by("-tree_size").first()


def head_document(head: SignedTreeHead, agency_code: str) -> dict[str, Any]:
    return {
        "agency": agency_code,
        "tree_size": head.tree_size,
        "timestamp": _millis(head.timestamp),
        "sha256_root_hash": head.root_hash,
        "signature": head.jws,
        "key_id": agency_kid(agency_code),
    }


def _millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def certificate_transparency(certificate_id: int) -> dict[str, Any] | None:
    """What the verification API says of the certificate's leaves: each with its inclusion
    proof against the agency's latest signed head, or none ("pending") until a head covers
    it. At most four queries whatever the log's size: the leaves, the head, and the stored
    subtrees every proof needs (two)."""
    leaves = list(
        LogLeaf.objects.filter(certificate_id=certificate_id)
        .select_related("log__agency")
        .order_by("index")
    )
    if not leaves:
        return None
    log = leaves[0].log
    code = log.agency.code
    head = head_latest(log)
    covered = [leaf.index for leaf in leaves if head is not None and leaf.index < head.tree_size]
    paths: dict[int, list[bytes]] = {}
    if head is not None and covered:
        size = head.tree_size
        paths = _read(
            log, lambda source: {i: merkle.inclusion_path(source, i, size) for i in covered}
        )
    return {
        "log": settings.SITE_URL + reverse("verification:log-head", kwargs={"agency": code}),
        "signed_tree_head": head_document(head, code) if head else None,
        "leaves": [
            {
                "leaf_index": leaf.index,
                "event": leaf.event,
                "leaf": leaf.entry,
                "leaf_hash": leaf.leaf_hash,
                # None while pending: the next signed head covers it.
                "inclusion_proof": {
                    "tree_size": head.tree_size,
                    "audit_path": [_hex(node) for node in paths[leaf.index]],
                }
                if head is not None and leaf.index in paths
                else None,
            }
            for leaf in leaves
        ],
    }


# ---------------------------------------------------------------------------------------------
# Signed tree heads
# ---------------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def head_payload(*, agency: str, tree_size: int, timestamp: int, root_hash: str) -> bytes:
    return json.dumps(
        {
            "agency": agency,
            "tree_size": tree_size,
            "timestamp": timestamp,
            "sha256_root_hash": root_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode("ascii")


@transaction.atomic
def head_sign(*, agency_code: str) -> SignedTreeHead | None:
    """Sign the agency's log at its present size, unless a head of that size exists; the new
    head, or None. Kept answers of certificates whose leaves it newly covers are forgotten,
    so that the API shows their inclusion proofs (store.forget; Redis down: shown later)."""
    log = TransparencyLog.objects.select_for_update().filter(agency__code=agency_code).first()
    if log is None or log.size == 0:
        return None
    previous = head_latest(log)
    if previous is not None and previous.tree_size == log.size:
        return None
    now = timezone.now()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    root_hash = _hex(log_root(log, log.size))
    payload = head_payload(
        agency=agency_code, tree_size=log.size, timestamp=_millis(now), root_hash=root_hash
    )
    header = {"alg": ALGORITHM, "typ": HEAD_TYPE, "kid": agency_kid(agency_code)}
    token = jws.serialize_compact(
        header, payload, credential_key(agency_code), algorithms=[ALGORITHM]
    )
    head = SignedTreeHead.objects.create(
        log=log, tree_size=log.size, root_hash=root_hash, timestamp=now, jws=token
    )
    since = previous.tree_size if previous else 0
    numbers = list(
        LogLeaf.objects.filter(log=log, index__gte=since, certificate__isnull=False)
        .values_list("certificate__number", flat=True)
        .distinct()
    )
    _forget(numbers)
    return head


def _forget(numbers: Iterable[str]) -> None:
    """Stop serving kept answers that say "pending"; with Redis down they expire by
    themselves (VERIFY_CACHE_SECONDS), which must not stop the head from being published."""
    try:
        for number in numbers:
            store.forget(number)
    except RedisError:
        return


def heads_publish() -> list[SignedTreeHead]:
    """Sign a head for every log that grew since its last one (celery beat)."""
    codes = TransparencyLog.objects.filter(size__gt=0).values_list("agency__code", flat=True)
    return [head for code in list(codes) if (head := head_sign(agency_code=code)) is not None]
