"""Over HTTP: a real uvicorn server and a bounded load generator on 127.0.0.1, 16 connections."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

import httpx

from bench.harness import Databases, Figure, percentile
from ledger.audit.note import SigningKey
from ledger.seeding import SeedClock, load_story, seed
from ledger.bootstrap import open_app
from ledger.settings import Settings

CONNECTIONS = 16
CLAIM = "musk-putin-regular-contact-since-2022"
TOKEN = "bench-write-token"


WORKERS = (1, 2)  # server processes: ``ledger serve --workers N``


@dataclass
class HttpFigures:
    """One server shape's two figures (append, read) and their latencies, run after run."""

    post: Figure
    get: Figure
    latency: dict[str, list[float]] = field(
        default_factory=lambda: {name: [] for name in LATENCIES}
    )

    @classmethod
    def named(cls, backend: str, workers: int) -> HttpFigures:
        """The figures of one shape, with issue 25's targets: one process, append 0.5 and
        read 0.7 of the bare endpoint; two processes on PostgreSQL, append 0.8."""
        shape = "" if workers == 1 else f", {workers} workers"
        append_target = 0.5 if workers == 1 else (0.8 if backend == "postgresql" else None)
        read_target = 0.7 if workers == 1 else None
        return cls(
            Figure(f"HTTP append (POST /v1/statements{shape})", backend, "req/s", append_target),
            Figure(f"HTTP read (GET /v1/claims/{{key}}{shape})", backend, "req/s", read_target),
        )

    def add(self, posts: Load, gets: Load, raw_posts: Load, raw_gets: Load) -> None:
        self.post.ledger.append(posts.rate)
        self.post.baseline.append(raw_posts.rate)
        self.get.ledger.append(gets.rate)
        self.get.baseline.append(raw_gets.rate)
        for load_, kind in ((posts, "post"), (gets, "get")):
            self.latency[f"{kind}_p50_ms"].append(load_.p50_ms)
            self.latency[f"{kind}_p99_ms"].append(load_.p99_ms)

    def noted(self, generator: str) -> list[Figure]:
        """The figures with their latencies (the median over the runs) noted; where the append
        has a target, its p99 too, as a figure of its own against the 50 ms it must stay under."""
        post_p50, post_p99 = (statistics.median(self.latency[f"post_{q}_ms"]) for q in PERCENTILES)
        self.post.note = f"(p50 {post_p50:.1f} ms, p99 {post_p99:.1f} ms; load from {generator})"
        get_p50, get_p99 = (statistics.median(self.latency[f"get_{q}_ms"]) for q in PERCENTILES)
        self.get.note = f"(p50 {get_p50:.1f} ms, p99 {get_p99:.1f} ms)"
        if self.post.target is None:
            return [self.post, self.get]
        p99s = self.latency["post_p99_ms"]
        tail = Figure(
            self.post.case.replace("HTTP append", "HTTP append p99", 1),
            self.post.backend,
            "ms",
            1.0,
            False,
            p99s,
            [APPEND_P99_TARGET_MS] * len(p99s),
            "(16 connections; baseline = the target)",
        )
        return [self.post, tail, self.get]


LATENCIES = ("post_p50_ms", "post_p99_ms", "get_p50_ms", "get_p99_ms")
PERCENTILES = ("p50", "p99")
APPEND_P99_TARGET_MS = 50.0


def http_cases(dbs: Databases, requests: int, runs: int) -> tuple[list[Figure], dict[str, Any]]:
    """POST /v1/statements and GET /v1/claims/{key} against bare endpoints doing the raw work,
    with one server process and with two (``--workers 2``), on each backend there is.

    The bare endpoints are one process on SQLite in every case: the framework's own speed.
    The load comes from wrk (Debian's package) when it is installed: a client in C leaves the
    CPU to the servers. Without it, a Python client does the same requests, more slowly.
    """
    shapes = {
        (backend, workers): HttpFigures.named(backend, workers)
        for backend in dbs.backends
        for workers in WORKERS
    }
    body = statement_body()
    for _ in range(runs):
        raw_posts, raw_gets = _bare_loads(dbs, requests, body)
        for (backend, workers), figures in shapes.items():
            posts, gets = _ledger_loads(dbs, backend, workers, requests, body)
            figures.add(posts, gets, raw_posts, raw_gets)
    generator = "wrk" if shutil.which("wrk") else "python client"
    detail = {
        _latency_name(backend, workers): figures.latency
        for (backend, workers), figures in shapes.items()
    }
    return [figure for shape in shapes.values() for figure in shape.noted(generator)], detail


def _latency_name(backend: str, workers: int) -> str:
    """The extras' key: ``http_latency_ms`` for one process on SQLite, as before."""
    suffix = "" if backend == "sqlite" else f"_{backend}"
    return f"http_latency_ms{suffix}" + ("" if workers == 1 else f"_{workers}_workers")


def _ledger_loads(
    dbs: Databases, backend: str, workers: int, requests: int, body: dict[str, Any]
) -> tuple[Load, Load]:
    """Appends, then reads, against ``ledger serve --workers N`` on a freshly seeded ledger."""
    ledger_url = seeded_ledger(dbs, backend)
    command = [
        str(Path(sys.executable).with_name("ledger")),
        "serve",
        "--no-access-log",
        "--workers",
        str(workers),
    ]
    env = ledger_env(ledger_url, Path(dbs.folder))
    with ledger_server(command, env, processes=workers) as port:
        write = {"Authorization": f"Bearer {TOKEN}"}
        posts = load(port, requests, "POST", "/v1/statements", body, write)
        gets = load(port, requests, "GET", f"/v1/claims/{CLAIM}")
    return posts, gets


def _bare_loads(dbs: Databases, requests: int, body: dict[str, Any]) -> tuple[Load, Load]:
    """The same appends and reads against the bare endpoints (bench/bare_app.py)."""
    read_copy = Path(seeded_ledger(dbs, "sqlite").removeprefix("sqlite:///"))
    bare = Path(dbs.fresh("sqlite").removeprefix("sqlite:///"))
    command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--no-access-log"]
    env = {"BENCH_BARE_DB": str(bare), "BENCH_BARE_READ_DB": str(read_copy)}
    with ledger_server(command, env) as port:
        raw_posts = load(port, requests, "POST", "/raw/statements", body)
        raw_gets = load(port, requests, "GET", f"/raw/claims/{CLAIM}")
    return raw_posts, raw_gets


class Load:
    def __init__(self, rate: float, p50_ms: float, p99_ms: float) -> None:
        self.rate, self.p50_ms, self.p99_ms = rate, p50_ms, p99_ms

    @classmethod
    def of(cls, latencies: list[float], seconds: float) -> Load:
        return cls(
            len(latencies) / seconds,
            percentile(latencies, 0.5) * 1e3,
            percentile(latencies, 0.99) * 1e3,
        )


def load(
    port: int,
    requests: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Load:
    """About ``requests`` requests over 16 connections; every answer must be a 2xx."""
    if shutil.which("wrk"):
        return _load_wrk(port, requests, method, path, body, headers or {})
    expected = 201 if method == "POST" else 200
    if method == "POST":
        return _load(port, requests, lambda c: c.post(path, json=body, headers=headers), expected)
    return _load(port, requests, lambda c: c.get(path, headers=headers), expected)


WRK_SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
"""


def _load_wrk(
    port: int, requests: int, method: str, path: str, body: Any, headers: dict[str, str]
) -> Load:
    """wrk for a time that gives about ``requests`` requests at a few hundred per second."""
    lines = [
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}"
        for k, v in {"Content-Type": "application/json", **headers}.items()
    ]
    script = WRK_SCRIPT.format(
        method=json.dumps(method),
        body=json.dumps(json.dumps(body)) if body is not None else "nil",
        headers="\n".join(lines),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    seconds = max(2, requests // 300)
    command = [
        "wrk",
        "-t2",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        handle.name,
        f"http://127.0.0.1:{port}{path}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed:\n{done.stdout}{done.stderr}")
    output = done.stdout
    os.unlink(handle.name)
    if "Non-2xx" in output:
        raise RuntimeError(f"wrk saw failed requests:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return Load(rate, _wrk_ms(output, "50%"), _wrk_ms(output, "99%"))


def _wrk_ms(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def _load(
    port: int, requests: int, send: Callable[[httpx.AsyncClient], Any], expected: int
) -> Load:
    """``requests`` requests over 16 connections; every answer must have the expected status."""

    async def run() -> Load:
        latencies: list[float] = []
        remaining = iter(range(requests))
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
        ) as client:

            async def worker() -> None:
                for _ in remaining:
                    started = time.perf_counter()
                    response = await send(client)
                    latencies.append(time.perf_counter() - started)
                    if response.status_code != expected:
                        raise RuntimeError(f"{response.status_code}: {response.text[:300]}")

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
            return Load.of(latencies, time.perf_counter() - started)

    return asyncio.run(run())


def seeded_ledger(dbs: Databases, backend: str) -> str:
    """A fresh ledger holding the seed story."""
    url = dbs.fresh(backend)
    clock = SeedClock()
    app = open_app(Settings(database_url=url), clock=clock)
    try:
        seed(app.ledger, load_story(Settings().seed_file), clock)
    finally:
        app.close()
    return url


def statement_body() -> dict[str, Any]:
    story = load_story(Settings().seed_file)
    entry = next(e for e in story.data.statements if e.key == "004-peskov-denies-regular-contact")
    return entry.statement().model_dump(mode="json")


def ledger_env(url: str, folder: Path) -> dict[str, str]:
    """The server as production runs it: a token, and a signing key, so writes answer receipts."""
    import hashlib

    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    key_file = folder / "bench-signing.key"
    if not key_file.exists():
        key_file.write_text(SigningKey.generate("bench.local/log").text + "\n")
    return {
        "LEDGER_DATABASE_URL": url,
        "LEDGER_API_TOKENS": f"bench:read+write:{digest}",
        "LEDGER_SIGNING_KEY_FILE": str(key_file),
    }


@contextmanager
def ledger_server(args: list[str], env: dict[str, str], processes: int = 1) -> Iterator[int]:
    """A uvicorn server (the ledger's or the bare one) whose ``processes`` have all started."""
    port = _free_port()
    command = [*args, "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=output
        )
        try:
            _wait_until_up(process, output, port, processes)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


STARTED = b"Application startup complete."


def _wait_until_up(
    process: subprocess.Popen[bytes], output: IO[bytes], port: int, processes: int
) -> None:
    """Until the server accepts connections and each of its ``processes`` has said it started
    (uvicorn's own log line): a load begun earlier would open all its connections on the first
    process up. A server that logs nothing (the witness logs warnings only) counts 0."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        output.seek(0)
        said = output.read()
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {said.decode(errors='replace')}")
        if _accepts(port) and said.count(STARTED) >= processes:
            return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
