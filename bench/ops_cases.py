"""Operations: POST -> SSE arrival at 16 connected clients, and export/import of the whole log.

The feed case runs a real ``ledger serve`` on a seeded SQLite file with 16 SSE clients, posts
statements one at a time and measures, for every client, the time from the POST's answer to
the event's arrival. Its targets are absolute (p50 <= 20 ms, p99 <= 100 ms), so the baseline
column holds the target and the ratio is measured / target (at most 1 meets it).

The archive case exports a statement log and imports it into an empty database of the same
backend: the import (verify every hash and link, insert with stored hashes) against the raw
driver's batch insert of the same events (bench/raw.py) in the same run, target >= 0.5; the
export against the raw driver's sequential read. ``ledger export`` and ``ledger import`` (the
latter with its projection fold) also run as processes, for their peak RSS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Databases, Figure, percentile, timed
from bench.http_cases import TOKEN, ledger_env, ledger_server, seeded_ledger, statement_body
from bench.raw import RawDriver
from bench.store_cases import build_statement_log
from bench.workload import store_events
from ledger import archive
from ledger.bootstrap import open_app

FEED_CLIENTS = 16


def feed_latency(dbs: Databases, posts: int) -> tuple[list[Figure], dict[str, Any]]:
    """POST -> SSE arrival at 16 clients, p50 and p99 in milliseconds."""
    ledger_url = seeded_ledger(dbs, "sqlite")
    body = statement_body()
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    arrivals: list[dict[int, float]] = [{} for _ in range(FEED_CLIENTS)]
    answered: dict[int, float] = {}
    sent: dict[int, float] = {}
    command = [sys.executable, "-m", "ledger_cli.main", "serve", "--no-access-log"]
    with ledger_server(command, ledger_env(ledger_url, Path(dbs.folder))) as port:
        base = f"http://127.0.0.1:{port}"
        head = httpx.get(f"{base}/v1/events", params={"after": 0, "limit": 1000}).json()["next"]
        ready = threading.Barrier(FEED_CLIENTS + 1)
        clients = [
            threading.Thread(target=_follow, args=(base, head, posts, arrivals[n], ready))
            for n in range(FEED_CLIENTS)
        ]
        for client in clients:
            client.start()
        ready.wait(timeout=30)
        time.sleep(0.5)  # every stream open and caught up
        with httpx.Client(base_url=base, headers=headers) as http:
            for _ in range(posts):
                started = time.perf_counter()
                response = http.post("/v1/statements", content=json.dumps(body))
                position = response.json()["position"]
                answered[position], sent[position] = time.perf_counter(), started
                time.sleep(0.02)
        for client in clients:
            client.join(timeout=30)
    delays = [  # an event that arrives before its POST's answer counts as no delay
        max(0.0, seen[position] - at) * 1e3
        for seen in arrivals
        for position, at in answered.items()
        if position in seen
    ]
    p50, p99 = percentile(delays, 0.5), percentile(delays, 0.99)
    from_send = [(seen[p] - at) * 1e3 for seen in arrivals for p, at in sent.items() if p in seen]
    send_p50, send_p99 = percentile(from_send, 0.5), percentile(from_send, 0.99)
    early = sum(1 for seen in arrivals for p, at in answered.items() if p in seen and seen[p] < at)
    note = (
        f"{len(delays)} arrivals of {posts * FEED_CLIENTS}, {early} before the POST's answer; "
        f"from the POST's sending p50 {send_p50:.1f} ms, p99 {send_p99:.1f} ms; "
        "baseline = the target"
    )
    figures = [
        Figure("POST -> SSE p50 (16 clients)", "sqlite", "ms", 1.0, False, [p50], [20.0], note),
        Figure("POST -> SSE p99 (16 clients)", "sqlite", "ms", 1.0, False, [p99], [100.0], note),
    ]
    detail = {"p50": p50, "p99": p99, "from_send_p50": send_p50, "from_send_p99": send_p99}
    return figures, {"feed_latency_ms": {**detail, "arrivals": len(delays), "early": early}}


def _follow(
    base: str, after: int, count: int, seen: dict[int, float], ready: threading.Barrier
) -> None:
    params = {"after": after, "limit": count}
    with httpx.stream("GET", f"{base}/v1/events/stream", params=params, timeout=60) as response:
        ready.wait(timeout=30)
        for line in response.iter_lines():
            if line.startswith("id:"):
                seen[int(line[3:].strip())] = time.perf_counter()


def archive_cases(
    dbs: Databases, backend: str, events: int, runs: int
) -> tuple[list[Figure], dict[str, Any]]:
    """Import vs raw batch insert (target >= 0.5) and export vs raw read, with peak RSS."""
    source = build_statement_log(dbs, backend, events)
    folder = Path(tempfile.mkdtemp(prefix="ledger-archive-"))
    path = folder / "log.jsonl"
    export_rss = _process_rss(["export", "--out", str(path)], source)
    total = sum(1 for _ in path.open()) - 1
    imports = Figure("import (verified) vs raw batch insert", backend, "events/s", 0.5)
    exports = Figure("export vs raw read", backend, "events/s")
    for _ in range(runs):
        exports.baseline.append(total / _raw_read(source))
        exports.ledger.append(total / _export(dbs, source, folder / "again.jsonl"))
        imports.baseline.append(total / _raw_insert(dbs, backend, total))
        imports.ledger.append(total / _import(dbs, backend, path))
    target = dbs.fresh(backend)
    import_rss = _process_rss(["import", str(path)], target)
    rss = {"export_mb": export_rss, "import_with_projections_mb": import_rss, "events": total}
    for figure in (imports, exports):
        figure.note = f"{total:,} events; peak RSS export {export_rss:.0f} MB, import {import_rss:.0f} MB"
    return [imports, exports], {f"archive_{backend}": rss}


def _export(dbs: Databases, url: str, path: Path) -> float:
    app = open_app(dbs.settings(url))
    try:
        with path.open("w", encoding="utf-8") as file:
            return timed(
                lambda: [file.write(line + "\n") for line in archive.export_lines(app.store)]
            )
    finally:
        app.close()


def _import(dbs: Databases, backend: str, path: Path) -> float:
    app = open_app(dbs.settings(dbs.fresh(backend)))
    try:
        with path.open(encoding="utf-8") as lines:
            return timed(lambda: archive.import_lines(app.store, (l.rstrip("\n") for l in lines)))
    finally:
        app.close()


def _raw_insert(dbs: Databases, backend: str, total: int) -> float:
    raw = RawDriver(dbs.fresh(backend))
    items = store_events(total)
    try:

        def insert_all() -> None:
            while batch := list(islice(items, archive.IMPORT_BATCH)):
                raw.insert_many(batch)

        return timed(insert_all)
    finally:
        raw.close()


def _raw_read(url: str) -> float:
    raw = RawDriver(url)
    try:
        return timed(raw.read_all)
    finally:
        raw.close()


def _process_rss(args: list[str], url: str) -> float:
    """Peak RSS in MB of ``ledger ARGS`` run as its own process."""
    env = {**os.environ, "LEDGER_DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "ledger_cli.main", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"ledger {args[0]} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return usage.ru_maxrss / 1024
