"""The transparency log's tree: its roots and proofs agree with RFC 9162, written again here.

The reference below is a second implementation, written in this file from the RFC's text
(2.1.1 MTH, 2.1.3.1 PATH, 2.1.4.1 PROOF, 2.1.3.2 and 2.1.4.2 verification), sharing no code
with verification/merkle.py: the log's proofs must verify with it, and the log's checks must
agree with it.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from verification import merkle, transparency
from verification.models import LogLeaf, LogNode, TransparencyLog

# --------------------------------------------------------------------------------------------
# RFC 9162, independently
# --------------------------------------------------------------------------------------------


def rfc_leaf(data: bytes) -> bytes:
    return hashlib.sha256(bytes([0]) + data).digest()


def rfc_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(bytes([1]) + left + right).digest()


def rfc_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def rfc_mth(hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes (the leaves already hashed with 0x00)."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = rfc_k(n)
    return rfc_node(rfc_mth(hashes[:k]), rfc_mth(hashes[k:]))


def rfc_path(m: int, hashes: list[bytes]) -> list[bytes]:
    n = len(hashes)
    if n == 1:
        return []
    k = rfc_k(n)
    if m < k:
        return [*rfc_path(m, hashes[:k]), rfc_mth(hashes[k:])]
    return [*rfc_path(m - k, hashes[k:]), rfc_mth(hashes[:k])]


def rfc_subproof(m: int, hashes: list[bytes], b: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if b else [rfc_mth(hashes)]
    k = rfc_k(n)
    if m <= k:
        return [*rfc_subproof(m, hashes[:k], b), rfc_mth(hashes[k:])]
    return [*rfc_subproof(m - k, hashes[k:], False), rfc_mth(hashes[:k])]


def rfc_verify_inclusion(
    index: int, size: int, leaf: bytes, path: list[bytes], root_hash: bytes
) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = rfc_node(p, r)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn // 2, sn // 2
        else:
            r = rfc_node(r, p)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r == root_hash


def rfc_verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    if first == second:
        return first_hash == second_hash and not path
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = rfc_node(c, fr), rfc_node(c, sr)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn // 2, sn // 2
        else:
            sr = rfc_node(sr, c)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and fr == first_hash and sr == second_hash


# --------------------------------------------------------------------------------------------
# The log's tree in memory, through the same subtree source the database answers
# --------------------------------------------------------------------------------------------


def stored(hashes: list[bytes]) -> merkle.Known:
    """The perfect subtrees of a tree of these leaf hashes, made as appends make them."""
    found = {(0, i): h for i, h in enumerate(hashes)}
    start = 0
    rng = random.Random(len(hashes))
    while start < len(hashes):
        end = min(len(hashes), start + rng.randint(1, 9))
        found |= merkle.new_subtrees(start, hashes[start:end], lambda lv, ix: found[(lv, ix)])  # noqa: B023 (called at once, in this iteration)
        start = end
    return merkle.Known(found)


LEAVES = [rfc_leaf(f"leaf {i}".encode()) for i in range(70)]


def test_the_hashes_are_the_rfcs():
    assert merkle.leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert merkle.node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@pytest.mark.parametrize("size", range(1, 70))
def test_roots_and_audit_paths_match_the_rfc_at_every_size(size):
    hashes = LEAVES[:size]
    source = stored(LEAVES)
    assert merkle.root(source, size) == rfc_mth(hashes)
    for index in range(size):
        path = merkle.inclusion_path(source, index, size)
        assert path == rfc_path(index, hashes)
        assert merkle.inclusion_verify(
            index=index, size=size, leaf=hashes[index], path=path, expected_root=rfc_mth(hashes)
        )


@pytest.mark.parametrize("second", range(1, 40))
def test_consistency_proofs_match_the_rfc_for_every_pair(second):
    source = stored(LEAVES)
    second_root = rfc_mth(LEAVES[:second])
    for first in range(1, second + 1):
        proof = merkle.consistency_proof(source, first, second)
        assert proof == rfc_subproof(first, LEAVES[:second], True)
        first_root = rfc_mth(LEAVES[:first])
        assert rfc_verify_consistency(first, second, first_root, second_root, proof)
        assert merkle.consistency_verify(
            first=first, second=second, first_root=first_root, second_root=second_root, proof=proof
        )


def test_a_changed_leaf_fails_inclusion_and_consistency():
    source = stored(LEAVES[:20])
    root = merkle.root(source, 20)
    path = merkle.inclusion_path(source, 7, 20)
    assert merkle.inclusion_verify(index=7, size=20, leaf=LEAVES[7], path=path, expected_root=root)
    forged = rfc_leaf(b"leaf 7, back-dated")
    assert not merkle.inclusion_verify(index=7, size=20, leaf=forged, path=path, expected_root=root)
    assert not merkle.inclusion_verify(
        index=8, size=20, leaf=LEAVES[7], path=path, expected_root=root
    )

    # History rewritten: leaf 5 changed, then the log grew. The old head's root cannot be
    # reached from the new tree, whatever proof the log gives.
    rewritten = [*LEAVES[:5], rfc_leaf(b"leaf 5, rewritten"), *LEAVES[6:30]]
    old_root = rfc_mth(LEAVES[:12])
    new_source = stored(rewritten)
    proof = merkle.consistency_proof(new_source, 12, 30)
    new_root = merkle.root(new_source, 30)
    assert not merkle.consistency_verify(
        first=12, second=30, first_root=old_root, second_root=new_root, proof=proof
    )
    assert not rfc_verify_consistency(12, 30, old_root, new_root, proof)
    # The honest tree does prove it.
    honest = stored(LEAVES[:30])
    assert merkle.consistency_verify(
        first=12,
        second=30,
        first_root=old_root,
        second_root=merkle.root(honest, 30),
        proof=merkle.consistency_proof(honest, 12, 30),
    )


# --------------------------------------------------------------------------------------------
# 10,000 leaves stored in the database
# --------------------------------------------------------------------------------------------

SIZE = 10_000


def _entries(agency: str, count: int, *, start: int = 0) -> list[str]:
    return [
        f'{{"agency":"{agency}","event":"issued","number":"{agency}/2026/MUM/{i:07d}","v":1}}'
        for i in range(start, start + count)
    ]


def _append(log: TransparencyLog, entries: list[str]) -> None:
    """Append in batches of varying size, as issuance and a backfill do."""
    now = transparency.timezone.now()
    rng = random.Random(7)
    done = 0
    while done < len(entries):
        batch = entries[done : done + rng.choice((1, 3, 64, 700, 1500))]
        log.refresh_from_db()
        transparency._append(  # the service behind transparency_append, without certificates
            log, [transparency._NewLeaf(None, "issued", entry, now) for entry in batch]
        )
        done += len(batch)


@pytest.mark.django_db
def test_inclusion_proofs_of_ten_thousand_stored_leaves_verify_with_the_rfc(eic, client):
    log = TransparencyLog.objects.create(agency=eic)
    entries = _entries("EIC", SIZE)
    _append(log, entries)
    log.refresh_from_db()
    assert log.size == SIZE
    # About one stored subtree per leaf besides the leaves themselves.
    assert LogNode.objects.filter(log=log).count() == SIZE - bin(SIZE).count("1")

    hashes = [rfc_leaf(entry.encode()) for entry in entries]
    expected_root = rfc_mth(hashes)
    assert transparency.log_root(log, SIZE) == expected_root

    # Every leaf's audit path from the stored subtrees (read once), checked the RFC's way.
    known = {(0, i): bytes.fromhex(h) for i, h in LogLeaf.objects.values_list("index", "leaf_hash")}
    known |= {
        (level, index): bytes.fromhex(h)
        for level, index, h in LogNode.objects.values_list("level", "index", "hash")
    }
    source = merkle.Known(known)
    for index in range(SIZE):
        path = merkle.inclusion_path(source, index, SIZE)
        assert rfc_verify_inclusion(index, SIZE, hashes[index], path, expected_root), index

    # The service reads only what a proof needs, and answers the same.
    for index in random.Random(3).sample(range(SIZE), 40):
        size = random.Random(index).randint(index + 1, SIZE)
        path = transparency.log_inclusion(log, index, size)
        assert rfc_verify_inclusion(index, size, hashes[index], path, rfc_mth(hashes[:size]))
    for first, second in [(1, SIZE), (4096, SIZE), (5000, 9999), (9999, SIZE), (777, 778)]:
        proof = transparency.log_consistency(log, first, second)
        assert rfc_verify_consistency(
            first, second, rfc_mth(hashes[:first]), rfc_mth(hashes[:second]), proof
        )

    # The proofs as the public endpoints serve them (what a monitor and the CLI read), checked
    # the RFC's way; the served leaves are the entries hashed.
    for index in [0, 1, 4095, 4096, 7777, SIZE - 1]:
        served = client.get(
            "/transparency/EIC/inclusion", {"leaf_index": index, "tree_size": SIZE}
        ).json()
        path = [bytes.fromhex(node) for node in served["audit_path"]]
        assert rfc_verify_inclusion(index, SIZE, hashes[index], path, expected_root), index
        assert not rfc_verify_inclusion(index, SIZE, hashes[index - 1], path, expected_root)
    for first, second in [(1, SIZE), (4096, SIZE), (777, 778)]:
        served = client.get(
            "/transparency/EIC/consistency", {"first": first, "second": second}
        ).json()
        proof = [bytes.fromhex(node) for node in served["consistency_path"]]
        assert rfc_verify_consistency(
            first, second, rfc_mth(hashes[:first]), rfc_mth(hashes[:second]), proof
        )
        # A rewritten history: the same proof against a first tree with a changed leaf fails.
        changed = [*hashes[: first - 1], rfc_leaf(b"back-dated"), *hashes[first:]]
        assert not rfc_verify_consistency(
            first, second, rfc_mth(changed[:first]), rfc_mth(hashes[:second]), proof
        )
    leaves = client.get("/transparency/EIC/leaves", {"start": 9990, "end": SIZE}).json()
    assert [rfc_leaf(leaf["leaf"].encode()) for leaf in leaves["leaves"]] == hashes[9990:]
