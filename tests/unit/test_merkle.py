"""RFC 9162 hashing and proofs against transparency-dev/merkle's published vectors and an oracle.

The vectors (tests/unit/data/merkle, copied in with their licence) are the standard's; the oracle
(tests/support/merkle_oracle.py) is written straight from the RFC's recursive definitions (MTH,
PATH, SUBPROOF), independent of ``ledger.tlog.merkle`` which produces proofs from subtree ranges
and verifies them with the RFC's bit-walking algorithm.
"""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

import pytest

from ledger.tlog import merkle
from ledger.tlog.merkle import ProofError
from tests.support.merkle_oracle import mth, oracle_leaf, path, subproof

VECTORS = Path(__file__).resolve().parent / "data" / "merkle"
CASES = sorted(p for p in VECTORS.glob("*.json") if p.name != "roots.json")


def ledger_proof(ranges: list[tuple[int, int]], inputs: list[bytes]) -> list[bytes]:
    """The ledger's proof: its ranges, each hashed from its complete subtrees."""
    leaves = [merkle.leaf_hash(x) for x in inputs]

    def node(n: tuple[int, int]) -> bytes:
        level, index = n
        return merkle.root_of(leaves[index << level : (index + 1) << level])

    return [merkle.range_hash(start, end, node) for start, end in ranges]


# -- the published vectors -------------------------------------------------------------------


def test_the_roots_of_sizes_0_to_8_match_the_reference() -> None:
    roots = json.loads((VECTORS / "roots.json").read_text())
    inputs = [bytes.fromhex(x) for x in roots["leaf_inputs_hex"]]
    leaves = [merkle.leaf_hash(x) for x in inputs]
    for size, expected in enumerate(roots["root_hashes_hex_by_size"]):
        assert merkle.root_of(leaves[:size]).hex() == expected
        assert mth(inputs[:size]).hex() == expected  # the oracle agrees too


def b64(text: str | None) -> bytes:
    return base64.b64decode(text) if text else b""


def run_case(case: dict[str, Any], kind: str) -> bool:
    """True when the ledger's verifier refuses the case."""
    proof = [b64(p) for p in case.get("proof") or []]
    try:
        if kind == "inclusion":
            merkle.verify_inclusion(
                case["leafIdx"], case["treeSize"], b64(case["leafHash"]), proof, b64(case["root"])
            )
        else:
            merkle.verify_consistency(
                case["size1"], case["size2"], proof, b64(case["root1"]), b64(case["root2"])
            )
    except ProofError:
        return True
    return False


def test_there_are_196_reference_cases() -> None:
    assert len(CASES) == 196


@pytest.mark.parametrize("case_file", CASES, ids=[p.stem for p in CASES])
def test_every_reference_case_has_its_expected_outcome(case_file: Path) -> None:
    case = json.loads(case_file.read_text())
    kind = case_file.name.split("__")[0]
    assert run_case(case, kind) is case["wantErr"], case.get("desc")


# -- the oracle over random sizes ------------------------------------------------------------


def random_inputs(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [rng.randbytes(rng.randrange(0, 40)) for _ in range(count)]


def test_every_proof_matches_the_oracle_for_every_pair_up_to_70() -> None:
    inputs = random_inputs(70, seed=1)
    for size in range(1, 71):
        root = mth(inputs[:size])
        for index in range(size):
            proof = ledger_proof(merkle.inclusion_ranges(index, size), inputs)
            assert proof == path(index, inputs[:size])
            merkle.verify_inclusion(index, size, oracle_leaf(inputs[index]), proof, root)
        for first in range(1, size + 1):
            proof = ledger_proof(merkle.consistency_ranges(first, size), inputs)
            assert proof == subproof(first, inputs[:size], True)
            merkle.verify_consistency(first, size, proof, mth(inputs[:first]), root)


@pytest.mark.parametrize("seed", range(6))
def test_random_sizes_up_to_a_few_thousand_agree_and_broken_proofs_fail(seed: int) -> None:
    rng = random.Random(seed)
    size = rng.randrange(2, 3000)
    inputs = random_inputs(size, seed=100 + seed)
    leaves = [merkle.leaf_hash(x) for x in inputs]
    root = mth(inputs)
    assert merkle.root_of(leaves) == root
    for index in rng.sample(range(size), 12):
        proof = ledger_proof(merkle.inclusion_ranges(index, size), inputs)
        assert proof == path(index, inputs)
        merkle.verify_inclusion(index, size, leaves[index], proof, root)
        assert_broken_inclusion_fails(index, inputs, proof, rng)
    for first in rng.sample(range(1, size), 12):
        first_root = mth(inputs[:first])
        proof = ledger_proof(merkle.consistency_ranges(first, size), inputs)
        assert proof == subproof(first, inputs, True)
        merkle.verify_consistency(first, size, proof, first_root, root)
        assert_broken_consistency_fails(first, inputs, proof, rng)


def flip_bit(proof: list[bytes], rng: random.Random) -> list[bytes]:
    which, bit = rng.randrange(len(proof)), rng.randrange(256)
    changed = bytearray(proof[which])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*proof[:which], bytes(changed), *proof[which + 1 :]]


def assert_broken_inclusion_fails(
    index: int, inputs: list[bytes], proof: list[bytes], rng: random.Random
) -> None:
    """A flipped bit, or the proof presented for another tree size (with that size's root)."""
    size, leaf = len(inputs), oracle_leaf(inputs[index])
    extended = inputs + random_inputs(1, seed=size)
    broken = [(size, mth(inputs), flip_bit(proof, rng))] if proof else []
    broken.append((size + 1, mth(extended), proof))
    if index < size - 1:
        broken.append((size - 1, mth(inputs[:-1]), proof))
    for n, root, p in broken:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, n, leaf, p, root)


def assert_broken_consistency_fails(
    first: int, inputs: list[bytes], proof: list[bytes], rng: random.Random
) -> None:
    size = len(inputs)
    extended = inputs + random_inputs(1, seed=size)
    cases = [
        (first, size, flip_bit(proof, rng), mth(inputs[:first]), mth(inputs)),
        (first, size + 1, proof, mth(inputs[:first]), mth(extended)),
        (first + 1, size, proof, mth(inputs[: first + 1]), mth(inputs)),
    ]
    for m, n, p, first_root, root in cases:
        if m == n:
            continue
        with pytest.raises(ProofError):
            merkle.verify_consistency(m, n, p, first_root, root)


def test_a_request_no_proof_can_answer_is_refused() -> None:
    with pytest.raises(ProofError):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ProofError):
        merkle.consistency_ranges(0, 4)
    with pytest.raises(ProofError):
        merkle.consistency_ranges(5, 4)
