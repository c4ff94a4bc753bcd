"""RFC 9162 section 2.1 written straight from its recursive definitions (MTH, PATH, SUBPROOF).

Independent of ``ledger.tlog.merkle``, which builds proofs from subtree ranges: the tests check
one against the other. PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import hashlib


def oracle_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def oracle_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    """MTH over leaf *inputs*."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return oracle_leaf(d[0])
    k = oracle_k(len(d))
    return hashlib.sha256(b"\x01" + mth(d[:k]) + mth(d[k:])).digest()


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) <= 1:
        return []
    k = oracle_k(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = oracle_k(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


