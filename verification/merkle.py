"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, proofs and their checks.

Pure Python and the standard library only: the offline checker (verification/logcheck.py)
imports it without Django, and an outside monitor can copy it.

The tree of n leaves is read through a `Subtrees` source that answers the hash of an aligned
perfect subtree: `perfect(level, index)` is MTH(D[index * 2**level : (index + 1) * 2**level]).
Every subtree the RFC's MTH, PATH and PROOF algorithms split off on the left is such a
subtree, and the right remainder splits the same way, so the log stores only those hashes
(about two per leaf) and a root or a proof costs O(log n) stored hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 2.1.1: SHA-256(0x00 || leaf)."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 2.1.1: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n & (n - 1) == 0


class Subtrees(Protocol):
    def perfect(self, level: int, index: int) -> bytes: ...


def _mth(source: Subtrees, start: int, size: int) -> bytes:
    """MTH(D[start:start + size]); start is aligned to the largest power of two <= size."""
    if _is_power_of_two(size):
        level = size.bit_length() - 1
        return source.perfect(level, start >> level)
    k = _split(size)
    return node_hash(_mth(source, start, k), _mth(source, start + k, size - k))


def root(source: Subtrees, size: int) -> bytes:
    """MTH of the first `size` leaves (RFC 9162 2.1.1)."""
    if size == 0:
        return EMPTY_ROOT
    return _mth(source, 0, size)


def _path(source: Subtrees, m: int, start: int, size: int) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[start:start + size])."""
    if size == 1:
        return []
    k = _split(size)
    if m < k:
        return [*_path(source, m, start, k), _mth(source, start + k, size - k)]
    return [*_path(source, m - k, start + k, size - k), _mth(source, start, k)]


def inclusion_path(source: Subtrees, index: int, size: int) -> list[bytes]:
    """The audit path of leaf `index` in the tree of the first `size` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    return _path(source, index, 0, size)


def _subproof(source: Subtrees, m: int, start: int, size: int, whole: bool) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF(m, D[start:start + size], b)."""
    if m == size:
        return [] if whole else [_mth(source, start, size)]
    k = _split(size)
    if m <= k:
        return [*_subproof(source, m, start, k, whole), _mth(source, start + k, size - k)]
    return [*_subproof(source, m - k, start + k, size - k, False), _mth(source, start, k)]


def consistency_proof(source: Subtrees, first: int, second: int) -> list[bytes]:
    """PROOF(first, D[0:second]): that the tree of `first` leaves is a prefix of `second`'s."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    return _subproof(source, first, 0, second, True)


class Recorder:
    """A source that answers zeros and notes which subtrees were asked for: run a proof once
    with it, read those hashes in one query, then run the proof with them."""

    def __init__(self) -> None:
        self.asked: set[tuple[int, int]] = set()

    def perfect(self, level: int, index: int) -> bytes:
        self.asked.add((level, index))
        return bytes(HASH_SIZE)


class Known:
    """A source over hashes already read: {(level, index): hash}."""

    def __init__(self, hashes: dict[tuple[int, int], bytes]) -> None:
        self.hashes = hashes

    def perfect(self, level: int, index: int) -> bytes:
        return self.hashes[(level, index)]


def needed(compute: Callable[[Subtrees], object]) -> set[tuple[int, int]]:
    """The aligned perfect subtrees that `compute` reads."""
    recorder = Recorder()
    compute(recorder)
    return recorder.asked


def new_subtrees(
    old_size: int, new_leaves: Sequence[bytes], existing: Callable[[int, int], bytes]
) -> dict[tuple[int, int], bytes]:
    """The perfect subtrees (level >= 1) that appending `new_leaves` (leaf hashes) to a tree of
    `old_size` leaves completes. `existing(level, index)` answers a subtree completed before
    (at most one per level is read: the left edge of the growing part)."""
    made: dict[tuple[int, int], bytes] = {
        (0, old_size + i): leaf for i, leaf in enumerate(new_leaves)
    }
    new_size = old_size + len(new_leaves)

    def child(level: int, index: int) -> bytes:
        found = made.get((level, index))
        return found if found is not None else existing(level, index)

    level = 1
    while (1 << level) <= new_size:
        for index in range(old_size >> level, new_size >> level):
            made[(level, index)] = node_hash(
                child(level - 1, 2 * index), child(level - 1, 2 * index + 1)
            )
        level += 1
    return {key: value for key, value in made.items() if key[0] > 0}


# ---------------------------------------------------------------------------------------------
# Checks (RFC 9162 2.1.3.2 and 2.1.4.2), written from the RFC's steps
# ---------------------------------------------------------------------------------------------


def inclusion_verify(
    *, index: int, size: int, leaf: bytes, path: Iterable[bytes], expected_root: bytes
) -> bool:
    """Whether `path` proves that the leaf hash `leaf` is leaf `index` of the tree of `size`
    leaves whose root is `expected_root`."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def consistency_verify(
    *, first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows that the tree of `first` leaves (root `first_root`) is a prefix
    of the tree of `second` leaves (root `second_root`)."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if _is_power_of_two(first):
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root
