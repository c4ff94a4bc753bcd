"""The one real ``ledger serve`` of the suite, and clients that log what they were told.

``LedgerServer`` starts, kills and restarts a server (the reliability tests); ``serve_seeded``
is a server on a new, migrated and seeded SQLite file (the end-to-end, client and browser tests).

The server runs in its own process, so it can be killed with SIGKILL at any moment; what the
clients were told (every acknowledgement) lives in the test process and survives the kill.
Loads are bounded in count and time and go to 127.0.0.1 only. ``LEDGER_SOAK=1`` (``make soak``)
scales them up. This module holds no assertions (PYTEST_DONT_REWRITE).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

from tests.support.api_fixtures import API_TOKENS, WRITE

LEDGER = str(Path(sys.executable).with_name("ledger"))
SOAK = os.environ.get("LEDGER_SOAK") == "1"
START_SECONDS = 30


def scaled(fast: int, soak: int) -> int:
    """``fast`` under ``make test``; ``soak`` under ``make soak`` (LEDGER_SOAK=1)."""
    return soak if SOAK else fast


def free_port() -> int:
    """A port no one listens on: the kernel's choice, or with ``LEDGER_TEST_PORTS=26000-26099``
    a free one in that range (sessions sharing a machine keep to their own ports)."""
    low, _, high = os.environ.get("LEDGER_TEST_PORTS", "0-0").partition("-")
    for port in range(int(low), int(high or low) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError(f"no free port in LEDGER_TEST_PORTS={low}-{high}")


def run_ledger(env: Mapping[str, str], *command: str) -> None:
    """One ``ledger`` command; its output goes into the error if it fails."""
    done = subprocess.run([LEDGER, *command], env=env, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"ledger {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def serve_seeded(folder: Path) -> Iterator[str]:
    """``ledger db upgrade``, ``ledger seed`` and ``ledger serve`` on a new SQLite file in ``folder``."""
    server = LedgerServer(f"sqlite:///{folder / 'ledger.db'}", folder)
    run_ledger(server.env, "db", "upgrade")
    run_ledger(server.env, "seed")
    with server:
        if f"serving the claims ledger on {server.base}" not in server.log.read_text():
            raise RuntimeError(f"ledger serve did not say where it serves:\n{server.log.read_text()}")
        yield server.base


class LedgerServer:
    """``ledger serve`` on a database that is migrated already; restartable, killable."""

    def __init__(
        self, database_url: str, workdir: Path, *, args: tuple[str, ...] = (), **env: str
    ) -> None:
        self.env = (
            os.environ
            | {
                "LEDGER_DATABASE_URL": database_url,
                "LEDGER_API_TOKENS": API_TOKENS,
                "LEDGER_ENVIRONMENT": "test",
            }
            | env
        )
        self.log = workdir / "serve.log"
        self.args = args  # more ``ledger serve`` options, e.g. ("--workers", "2")
        self.process: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.starts = 0

    def start(self) -> str:
        """Start on a fresh port and wait until /readyz answers 200; return the base URL."""
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [LEDGER, "serve", "--port", str(port), *self.args],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1
        try:
            self._wait_until_ready()
        except BaseException:
            self.kill()  # a server that never became ready must not outlive the test
            raise
        return self.base

    def _wait_until_ready(self) -> None:
        deadline, last, pause = time.monotonic() + START_SECONDS, "no answer", 0.02
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"ledger serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                response = httpx.get(f"{self.base}/readyz", timeout=2)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.TransportError as error:
                last = repr(error)
            time.sleep(pause)  # a server still migrating or warming up is not hammered
            pause = min(pause * 2, 0.5)
        tail = self.log.read_text()[-3000:]
        raise RuntimeError(f"ledger serve not ready in {START_SECONDS} s: {last}\n{tail}")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, no buffer is flushed."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, how: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(how)
            self.process.wait(timeout=20)
        self.process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@dataclass
class Outcomes:
    """Every answer the clients got, shared by their threads: statuses, acknowledgements."""

    statuses: Counter[int] = field(default_factory=Counter)
    acks: list[dict[str, Any]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, response: httpx.Response, **context: Any) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code == 201:
                self.acks.append({**response.json(), **context})

    def note(self, text: str) -> None:
        with self.lock:
            self.unexpected.append(text)


def post_statement(
    http: httpx.Client, body: Mapping[str, Any], *, key: str, if_match: str | None = None
) -> httpx.Response:
    headers = WRITE | {"Idempotency-Key": key}
    if if_match is not None:
        headers["If-Match"] = if_match
    return http.post("/v1/statements", json=dict(body), headers=headers)


def read_whole_log(http: httpx.Client) -> list[dict[str, Any]]:
    """Every event, through the public feed, page by page."""
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        page = http.get("/v1/events", params={"after": after, "limit": 1000}).json()
        events.extend(page["events"])
        after = page["next"]
        if not page["has_more"]:
            return events
