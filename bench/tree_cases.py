"""Cases on the transparency log: what the Merkle tree costs an append, and proof latency.

The tree is measured against the same store without it (its writer swapped for one that does
nothing), in the same run and on fresh databases alike, so the ratio is the tree's own cost.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from bench.harness import Databases, Figure, growth_figures, percentile, timed
from bench.store_cases import _streams
from bench.workload import EVENTS_PER_STREAM, StoreEvent, store_events
from ledger.tlog import merkle
from ledger.audit.log import CheckpointSealer, TransparencyLog
from ledger.store import SqlEventStore, open_store

PROOFS = 200


class NoTree:
    """A tree writer that stores nothing: the baseline of what the tree costs."""

    def extend(self, connection: Any, old_size: int, new_hashes: Sequence[str]) -> None:
        return None


def _store(dbs: Databases, backend: str, with_tree: bool) -> SqlEventStore:
    store = open_store(dbs.settings(dbs.fresh(backend)))
    if not with_tree:
        store.tree = NoTree()  # type: ignore[assignment]
    return store


def _appends(dbs: Databases, backend: str, items: list[StoreEvent], with_tree: bool) -> float:
    store = _store(dbs, backend, with_tree)
    try:
        return timed(lambda: [store.append(i.stream, [i.event]) for i in items])
    finally:
        store.close()


def _batches(
    dbs: Databases, backend: str, groups: list[list[StoreEvent]], with_tree: bool
) -> float:
    store = _store(dbs, backend, with_tree)
    try:
        return timed(lambda: [store.append(g[0].stream, [i.event for i in g]) for g in groups])
    finally:
        store.close()


def single_append_tree_cost(dbs: Databases, backend: str, events: int, runs: int) -> Figure:
    """Single appends with the tree against the same appends without it."""
    figure = Figure("single append with tree vs without", backend, "events/s", target=0.95)
    for run in range(runs):
        items = list(store_events(events))
        order = (True, False) if run % 2 == 0 else (False, True)  # alternate: drift cancels out
        rates = {flag: events / _appends(dbs, backend, items, flag) for flag in order}
        figure.ledger.append(rates[True])
        figure.baseline.append(rates[False])
    return figure


def batch_append_tree_cost(dbs: Databases, backend: str, batches: int, runs: int) -> Figure:
    """Batches of 100 with the tree against the same batches without it."""
    figure = Figure("batch append (100/tx) with tree vs without", backend, "events/s", target=0.95)
    total = batches * EVENTS_PER_STREAM
    for run in range(runs):
        groups = list(_streams(store_events(total)))
        order = (True, False) if run % 2 == 0 else (False, True)
        rates = {flag: total / _batches(dbs, backend, groups, flag) for flag in order}
        figure.ledger.append(rates[True])
        figure.baseline.append(rates[False])
    return figure


def measure_proofs(store: SqlEventStore, size: int) -> dict[str, list[float]]:
    """Latencies of inclusion and consistency proofs at random points of a log of ``size``.

    Each proof is verified too (outside the timing), so a fast wrong answer cannot pass.
    """
    rng = random.Random(size)
    log = TransparencyLog(store, CheckpointSealer(None))
    root = log.root(size)
    inclusion, consistency = [], []
    for _ in range(PROOFS):
        position = rng.randrange(1, size + 1)
        started = time.perf_counter()
        proof = log.inclusion(position, size)
        inclusion.append(time.perf_counter() - started)
        merkle.verify_inclusion(position - 1, size, proof.leaf_hash, proof.proof, root)
        first = rng.randrange(1, size)
        started = time.perf_counter()
        shown = log.consistency(first, size)
        consistency.append(time.perf_counter() - started)
        merkle.verify_consistency(first, size, shown.proof, log.root(first), root)
    return {"inclusion": inclusion, "consistency": consistency}


def proof_figures(
    backend: str, latencies: dict[int, dict[str, list[float]]]
) -> tuple[list[Figure], dict[str, object]]:
    """Proof latency at the largest size over the smallest, p50 and p99."""
    sizes = sorted(latencies)
    small, large = sizes[0], sizes[-1]
    figures = [
        figure
        for kind in ("inclusion", "consistency")
        for figure in growth_figures(
            f"{kind} proof {{name}} at {large:,} vs {small:,} events",
            backend,
            latencies[large][kind],
            latencies[small][kind],
        )
    ]
    detail = {
        f"{size}": {
            f"{kind}_{name}_ms": percentile(values[kind], fraction) * 1e3
            for kind in ("inclusion", "consistency")
            for name, fraction in (("p50", 0.5), ("p99", 0.99))
        }
        for size, values in latencies.items()
    }
    return figures, {f"proof_latency_{backend}": detail}
