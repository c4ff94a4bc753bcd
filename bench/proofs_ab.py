"""Proof latency with and without the upper tiles, on one log, in one run (docs/audit.md).

    python -m bench.proofs_ab postgresql://…   # a database it may empty; or sqlite:///…

Grows a log to 10,000 then 1,000,000 events and, at each size, measures inclusion and
consistency proofs (``tree_cases.measure_proofs``: each proof verified) twice each way:
reading every subtree above level 8 from ``merkle_nodes`` (as before tiles were stored at
every level) and reading full upper tiles. Prints p50 and p99 in milliseconds.
"""

from __future__ import annotations

import sys
import time

import migrations
from bench.harness import percentile, reset_postgres
from bench.tree_cases import measure_proofs
from ledger.settings import Settings
from ledger.store import NewEvent, open_store
from ledger.store import tree


def main(url: str) -> None:
    if url.startswith("postgresql"):
        reset_postgres(url)
    migrations.upgrade(url)
    store = open_store(Settings(database_url=url))
    with_tiles = tree.TreeReader._full_tile_of
    try:
        for size in (10_000, 1_000_000):
            started = time.monotonic()
            while (head := store.head_position()) < size:
                batch = [NewEvent("Noted", {"n": i}) for i in range(min(5000, size - head))]
                store.append(f"s{head % 97}", batch)
            print(f"grown to {size:,} in {time.monotonic() - started:.0f} s", flush=True)
            for mode in ("merkle_nodes only", "upper tiles") * 2:
                tree.TreeReader._full_tile_of = (  # type: ignore[method-assign]
                    with_tiles if mode == "upper tiles" else (lambda self, node: None)
                )
                latencies = measure_proofs(store, size)
                figures = {
                    kind: f"p50 {percentile(v, 0.5) * 1e3:.2f} ms, p99 {percentile(v, 0.99) * 1e3:.2f} ms"
                    for kind, v in latencies.items()
                }
                print(f"{size:,} {mode}: {figures}", flush=True)
    finally:
        tree.TreeReader._full_tile_of = with_tiles  # type: ignore[method-assign]
        store.close()


if __name__ == "__main__":
    main(sys.argv[1])
