"""RFC 9162 Merkle trees: hashing, the shape of proofs, and their verification.

Pure functions over byte strings, written from RFC 9162 section 2.1: a leaf is hashed as
SHA-256(0x00 || input), a node as SHA-256(0x01 || left || right), and a tree of n > 1 leaves
splits at k, the largest power of two smaller than n. Producing a proof is split in two: which
subtrees a proof is made of (``inclusion_ranges``, ``consistency_ranges``: no hashes needed),
and their hashes, which the caller looks up however it stores them (``ledger.store.tree``).
Verification follows the RFC's own algorithms (sections 2.1.3.2 and 2.1.4.2) and refuses what
transparency-dev/merkle refuses; its published vectors are the tests.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Final

from ledger.errors import ProofError

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # leaves [start, end)
Node = tuple[int, int]  # (level, index): the complete subtree of leaves [index*2^level, +2^level)


def leaf_hash(leaf_input: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf_input).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than ``size`` (size > 1): where the tree splits."""
    return 1 << ((size - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes, by the RFC's recursive definition (used for small ranges)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = split_point(len(leaf_hashes))
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def complete_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees whose hashes make up MTH(D[start:end]), left to right.

    Every range a proof names starts on a multiple of a power of two at least as large as the
    range, so it splits into aligned complete subtrees of strictly falling size: the binary
    digits of its length.
    """
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def range_hash(start: int, end: int, node: Callable[[Node], bytes]) -> bytes:
    """MTH(D[start:end]) from the hashes of its complete subtrees, combined right to left."""
    hashes = [node(n) for n in complete_nodes(start, end)]
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees of PATH(index, D[0:size]) (RFC 9162 2.1.3.1), leaf end first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    ranges: list[Range] = []
    low, high = 0, size
    while high - low > 1:
        k = split_point(high - low)
        if index < low + k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low += k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The subtrees of PROOF(first, D[0:second]) (RFC 9162 2.1.4.1), smallest first."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    ranges: list[Range] = []
    low, high, whole = 0, second, True  # SUBPROOF(m, D[low:high], b)
    m = first
    while m != high - low:
        k = split_point(high - low)
        if m <= k:
            ranges.append((low + k, high))
            high = low + k
        else:
            ranges.append((low, low + k))
            low, m, whole = low + k, m - k, False
    if not whole:
        ranges.append((low, high))
    ranges.reverse()
    return ranges


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows ``leaf`` is leaf ``index`` of the tree ``root``."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_sizes([leaf, *proof])
    _, r = _climb_path(index, size - 1, None, leaf, proof, "inclusion")
    if r != root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise ProofError unless the tree ``second_root`` extends the tree ``first_root``."""
    if first > second:
        raise ProofError(f"size {first} is larger than size {second}")
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if first == second:
        if proof:
            raise ProofError("trees of one size need an empty proof")
        if first_root != second_root:
            raise ProofError(f"two different roots for the tree of size {first}")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    _check_sizes(proof)
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is itself a node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr, sr = _climb_path(fn, sn, path[0], path[0], path[1:], "consistency")
    if fr != first_root:
        raise ProofError(f"the proof does not lead to the root of size {first}")
    if sr != second_root:
        raise ProofError(f"the proof does not lead to the root of size {second}")


def _climb_path(
    fn: int, sn: int, first: bytes | None, second: bytes, path: Sequence[bytes], kind: str
) -> tuple[bytes | None, bytes]:
    """Hash ``path`` up from node ``fn`` of a tree whose last node is ``sn`` (RFC 9162 2.1.3.2
    and 2.1.4.2): a sibling on the left extends both roots, one on the right only the second.

    ``first`` None: only the second root is wanted (an inclusion proof).
    """
    for sibling in path:
        if sn == 0:
            raise ProofError(f"the {kind} proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            first = None if first is None else node_hash(sibling, first)
            second = node_hash(sibling, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the {kind} proof is shorter than the tree is deep")
    return first, second


def _check_sizes(hashes: Sequence[bytes]) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"every hash is {HASH_SIZE} bytes")
