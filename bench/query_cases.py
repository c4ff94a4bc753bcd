"""Cases on the read side: as-of query latency as the log grows, and a rebuild's peak memory."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import tree_cases
from bench.harness import Databases, Figure, growth_figures, percentile
from bench.store_cases import build_statement_log, extend_statement_log
from bench.workload import EVENTS_PER_STREAM, claim_key
from ledger.bootstrap import open_app
from ledger.projections.queries import PointInTime
from ledger.store import open_store

QUERIES = 1_000
"""Timed queries per size: enough that the p99 is the 990th value, not the second slowest."""
WARM_UP = 20
"""Untimed queries first at each size: they open the pool's connection and warm the plans."""


def as_of_latency(
    dbs: Databases, backend: str, sizes: tuple[int, ...]
) -> tuple[list[Figure], dict[str, object]]:
    """p50 and p99 of one claim's as-of view (said and recorded axes) at growing log sizes,
    and of inclusion and consistency proofs on the same log.

    One log grows through the sizes; each figure is latency at a size over latency at the first.
    """
    url = build_statement_log(dbs, backend, sizes[0])
    latencies: dict[int, list[float]] = {}
    proofs: dict[int, dict[str, list[float]]] = {}
    built = sizes[0]
    for size in sizes:
        if size > built:
            extend_statement_log(dbs, url, built, size)
            built = size
        settle(url)
        latencies[size] = _measure(dbs, url, size)
        proofs[size] = _measure_proofs(dbs, url)
    base = latencies[sizes[0]]
    case = f"as-of {{name}} at {sizes[-1]:,} vs {sizes[0]:,} events"
    figures = growth_figures(case, backend, latencies[sizes[-1]], base)
    detail = {
        f"{size}": {"p50_ms": percentile(v, 0.5) * 1e3, "p99_ms": percentile(v, 0.99) * 1e3}
        for size, v in latencies.items()
    }
    proof_figures, proof_detail = tree_cases.proof_figures(backend, proofs)
    return figures + proof_figures, {f"as_of_latency_{backend}": detail, **proof_detail}


def settle(url: str) -> None:
    """What an operator runs after a bulk load: fresh planner statistics (and, on PostgreSQL,
    the visibility map a vacuum sets), so the figure is the query's, not the autovacuum's.

    Without it the 1M figure was taken while autovacuum and autoanalyze were still working
    through the 900k events just appended, on the same two cores.
    """
    from sqlalchemy import create_engine, text

    from ledger.store.postgres import normalize_url

    postgres = url.startswith("postgresql")
    engine = create_engine(normalize_url(url) if postgres else url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM (ANALYZE)" if postgres else "ANALYZE"))
    finally:
        engine.dispose()


def _measure_proofs(dbs: Databases, url: str) -> dict[str, list[float]]:
    store = open_store(dbs.settings(url))
    try:
        return tree_cases.measure_proofs(store, store.head_position())
    finally:
        store.close()


def _measure(dbs: Databases, url: str, size: int) -> list[float]:
    rng = random.Random(size)
    claims = size // EVENTS_PER_STREAM
    app = open_app(dbs.settings(url))
    latencies = []
    try:
        for n in range(WARM_UP):
            app.queries.claim(claim_key(n % claims), PointInTime(known_at=datetime.now(UTC)))
        for n in range(QUERIES):
            key = claim_key(rng.randrange(claims))
            at = (
                PointInTime(as_of=datetime(2024, 10, 25, tzinfo=UTC))
                if n % 2
                else PointInTime(known_at=datetime.now(UTC))
            )
            started = time.perf_counter()
            view = app.queries.claim(key, at)
            latencies.append(time.perf_counter() - started)
            assert view.key == key
    finally:
        app.close()
    return latencies


REBUILD_IN_CHILD = """
import json, resource, sys
from ledger.bootstrap import open_app
from ledger.settings import Settings
app = open_app(Settings(database_url=sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
folded = app.queries.rebuild_projections()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"folded": folded, "rss_before_kb": before, "peak_rss_kb": after}))
"""


def rebuild_memory(url: str) -> dict[str, float]:
    """Peak RSS of a process that opens the ledger and rebuilds every projection."""
    output = subprocess.run(
        [sys.executable, "-c", REBUILD_IN_CHILD, url], check=True, capture_output=True, text=True
    )
    result = json.loads(output.stdout)
    return {
        "events": result["folded"],
        "rss_after_open_mb": result["rss_before_kb"] / 1024,
        "peak_rss_mb": result["peak_rss_kb"] / 1024,
    }
