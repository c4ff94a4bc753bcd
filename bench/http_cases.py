"""Over HTTP: a real uvicorn server and a bounded load generator on 127.0.0.1, 16 connections."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from bench.harness import Databases, Figure, percentile
from ledger.audit.note import SigningKey
from ledger.seeding import SeedClock, load_story, seed
from ledger.bootstrap import open_app
from ledger.settings import Settings

CONNECTIONS = 16
CLAIM = "musk-putin-regular-contact-since-2022"
TOKEN = "bench-write-token"


def http_cases(dbs: Databases, requests: int, runs: int) -> tuple[list[Figure], dict[str, Any]]:
    """POST /v1/statements and GET /v1/claims/{key} against bare endpoints doing the raw work.

    The load comes from wrk (Debian's package) when it is installed: a client in C leaves the
    CPU to the servers. Without it, a Python client does the same requests, more slowly.
    """
    post = Figure("HTTP append (POST /v1/statements)", "sqlite", "req/s", target=0.7)
    get = Figure("HTTP read (GET /v1/claims/{key})", "sqlite", "req/s", target=0.7)
    latency: dict[str, list[float]] = {
        "post_p50_ms": [],
        "post_p99_ms": [],
        "get_p50_ms": [],
        "get_p99_ms": [],
    }
    body = _statement_body()
    for _ in range(runs):
        ledger_url, bare_db, read_db = _prepare(dbs)
        ledger_command = [str(Path(sys.executable).with_name("ledger")), "serve", "--no-access-log"]
        with _server(ledger_command, _ledger_env(ledger_url, Path(dbs.folder))) as port:
            posts = load(
                port,
                requests,
                "POST",
                "/v1/statements",
                body,
                {"Authorization": f"Bearer {TOKEN}"},
            )
            gets = load(port, requests, "GET", f"/v1/claims/{CLAIM}")
        bare_command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--no-access-log"]
        with _server(
            bare_command, {"BENCH_BARE_DB": bare_db, "BENCH_BARE_READ_DB": read_db}
        ) as port:
            raw_posts = load(port, requests, "POST", "/raw/statements", body)
            raw_gets = load(port, requests, "GET", f"/raw/claims/{CLAIM}")
        post.ledger.append(posts.rate)
        post.baseline.append(raw_posts.rate)
        get.ledger.append(gets.rate)
        get.baseline.append(raw_gets.rate)
        latency["post_p50_ms"].append(posts.p50_ms)
        latency["post_p99_ms"].append(posts.p99_ms)
        latency["get_p50_ms"].append(gets.p50_ms)
        latency["get_p99_ms"].append(gets.p99_ms)
    generator = "wrk" if shutil.which("wrk") else "python client"
    worst_p99 = max(latency["post_p99_ms"])
    post.note = (
        f"(p50 {min(latency['post_p50_ms']):.1f} ms, p99 {worst_p99:.1f} ms; "
        f"target p99 <= 50 ms; load from {generator})"
    )
    get.note = f"(p50 {min(latency['get_p50_ms']):.1f} ms, p99 {max(latency['get_p99_ms']):.1f} ms)"
    return [post, get], {"http_latency_ms": latency}


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
    output = subprocess.run(
        command, check=True, capture_output=True, text=True, timeout=seconds + 60
    ).stdout
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


def _prepare(dbs: Databases) -> tuple[str, str, str]:
    """A seeded ledger for the ledger server; a migrated file and a seeded copy for the bare one."""
    ledger_url = dbs.fresh("sqlite")
    clock = SeedClock()
    app = open_app(Settings(database_url=ledger_url), clock=clock)
    try:
        seed(app.ledger, load_story(Settings().seed_file), clock)
    finally:
        app.close()
    ledger_file = Path(ledger_url.removeprefix("sqlite:///"))
    read_copy = ledger_file.with_name(ledger_file.stem + "-read.db")
    shutil.copy(ledger_file, read_copy)
    bare = Path(dbs.fresh("sqlite").removeprefix("sqlite:///"))
    return ledger_url, str(bare), str(read_copy)


def _statement_body() -> dict[str, Any]:
    story = load_story(Settings().seed_file)
    entry = next(e for e in story.data.statements if e.key == "004-peskov-denies-regular-contact")
    return entry.statement().model_dump(mode="json")


def _ledger_env(url: str, folder: Path) -> dict[str, str]:
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
def _server(args: list[str], env: dict[str, str]) -> Iterator[int]:
    port = _free_port()
    command = [*args, "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_until_up(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"server exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
