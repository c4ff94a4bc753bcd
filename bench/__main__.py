"""``python -m bench [--smoke]``: every case on every backend, a markdown table and a JSON file."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    drafts_cases,
    http_cases,
    ops_cases,
    query_cases,
    store_cases,
    tlog_cases,
    tree_cases,
)
from bench.harness import Databases, Figure, fsync_latencies, percentile
from bench.report import markdown

SIZES = {
    "smoke": {
        "runs": 1,
        "single": 50,
        "batches": 3,
        "per_thread": 5,
        "rebuild": 1_000,
        "asof": (500, 1_000, 2_000),
        "http": 200,
        "archive": 1_000,
        "feed": 20,
        "tlog": 100,
        "drafts": 20,
    },
    "full": {
        "runs": 5,
        "single": 1_000,
        "batches": 50,
        "per_thread": 60,
        "rebuild": 100_000,
        "asof": (10_000, 100_000, 1_000_000),
        "http": 3_000,
        # 100k, not 1M: at 1M the four verified imports alone took over 10 minutes per backend,
        # and the ratio does not depend on the log's length (both sides are linear).
        "archive": 100_000,
        "feed": 200,
        "tlog": 2_000,
        "drafts": 200,
    },
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, seconds: keeps the benchmarks from rotting",
    )
    parser.add_argument("--output", type=Path, default=Path("bench/results/latest.json"))
    parser.add_argument(
        "--only", action="append", default=None, help="run only cases whose name contains this"
    )
    parser.add_argument("--runs", type=int, help="runs per case (full: 5)")
    parser.add_argument("--http", type=int, help="requests per HTTP load (full: 3,000)")
    parser.add_argument("--rebuild", type=int, help="events in the rebuild case (full: 100,000)")
    args = parser.parse_args()
    size = sized(SIZES["smoke" if args.smoke else "full"], args)
    postgres = os.environ.get("LEDGER_BENCH_POSTGRES_URL") or os.environ.get(
        "LEDGER_TEST_POSTGRES_URL"
    )
    dbs = Databases(postgres)
    figures: list[Figure] = []
    extras: dict[str, object] = {}
    for backend in dbs.backends:
        figures += run_store_cases(dbs, backend, size, args.only)
        if not args.only or "asof" in args.only:
            print(f"[{backend}] as-of latency ...", file=sys.stderr, flush=True)
            asof, detail = query_cases.as_of_latency(dbs, backend, size["asof"])
            figures += asof
            extras.update(detail)
            print(f"[{backend}] rebuild memory ...", file=sys.stderr, flush=True)
            extras[f"rebuild_memory_{backend}"] = query_cases.rebuild_memory(dbs.last_url)
        if not args.only or "archive" in args.only:
            print(f"[{backend}] archive export/import ...", file=sys.stderr, flush=True)
            archived, detail = ops_cases.archive_cases(
                dbs, backend, size["archive"], min(size["runs"], 3)
            )
            figures += archived
            extras.update(detail)
    if not args.only or "feed" in args.only:
        print("[sqlite] POST -> SSE feed latency ...", file=sys.stderr, flush=True)
        feed, detail = ops_cases.feed_latency(dbs, size["feed"])
        figures += feed
        extras.update(detail)
    if not args.only or "http" in args.only:
        print("[sqlite] http ...", file=sys.stderr, flush=True)
        http, detail = http_cases.http_cases(dbs, size["http"], size["runs"])
        figures += http
        extras.update(detail)
    if not args.only or "tlog" in args.only:
        print("[sqlite] tiles and witnesses over HTTP ...", file=sys.stderr, flush=True)
        figures += tlog_cases.tile_serving(dbs, size["tlog"], size["runs"])
        witnessed, detail = tlog_cases.witness_latency(dbs, size["tlog"], size["runs"])
        figures += witnessed
        extras.update(detail)
    if not args.only or "drafts" in args.only:
        print("drafts ...", file=sys.stderr, flush=True)
        figures += drafts_cases.draft_time(size["runs"], size["drafts"])
    latencies = fsync_latencies(dbs.folder, 50 if args.smoke else 500)
    extras["fsync_ms"] = {
        "p50": percentile(latencies, 0.5) * 1e3,
        "p99": percentile(latencies, 0.99) * 1e3,
    }
    report = {
        "when": datetime.now(UTC).isoformat(),
        "mode": "smoke" if args.smoke else "full",
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "postgres": bool(postgres),
        "figures": [figure.summary() for figure in figures],
        "extras": extras,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    print(markdown(report))
    print(f"\nfull figures: {args.output}")
    return 0


def sized(size: dict[str, object], args: argparse.Namespace) -> dict[str, object]:
    """The sizes with the command line's overrides: a shorter run of the chosen cases when the
    machine cannot be had alone for the full one (the README says which run is which)."""
    chosen = {"runs": args.runs, "http": args.http, "rebuild": args.rebuild}
    return {**size, **{name: value for name, value in chosen.items() if value is not None}}


def run_store_cases(
    dbs: Databases, backend: str, size: dict, only: list[str] | None
) -> list[Figure]:  # type: ignore[type-arg]
    runs = size["runs"]
    cases = {
        "single": lambda: [store_cases.single_append(dbs, backend, size["single"], runs)],
        "batch": lambda: [store_cases.batch_append(dbs, backend, size["batches"], runs)],
        "concurrent": lambda: [
            store_cases.concurrent_appends(dbs, backend, size["per_thread"], runs)
        ],
        "rebuild": lambda: [store_cases.rebuild(dbs, backend, size["rebuild"], runs)[0]],
        "tree-single": lambda: [
            tree_cases.single_append_tree_cost(dbs, backend, size["single"], runs)
        ],
        "tree-batch": lambda: [
            tree_cases.batch_append_tree_cost(dbs, backend, size["batches"], runs)
        ],
    }
    figures: list[Figure] = []
    for name, case in cases.items():
        if only and not any(word in name for word in only):
            continue
        print(f"[{backend}] {name} ...", file=sys.stderr, flush=True)
        figures += case()
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
