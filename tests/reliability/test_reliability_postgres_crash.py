"""PostgreSQL itself crashes under load: ``pg_ctlcluster ... stop -m immediate``, then start.

An immediate stop is PostgreSQL's crash: no checkpoint, recovery from the WAL at the next
start. It runs on a private cluster made for this test (``pg_createcluster`` on a free port,
dropped afterwards), never on the cluster the rest of the suite shares. A running
``ledger serve`` stays up throughout; 4 clients keep appending, retrying 503s and lost
connections with the same Idempotency-Key. Everything acknowledged must be stored exactly once,
every key must end up stored, and the log must audit clean. Needs root and Debian's
postgresql-common (as CI has); elsewhere it is skipped with the reason.
``make test`` crashes the database 3 times; ``make soak`` 10 times.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

import migrations
from ledger.settings import Settings
from tests.support.api_fixtures import copy_rows, peskov_denial
from tests.support.databases import IN_CI
from tests.support.reliability_checks import audit_ledger
from tests.support.server import LedgerServer, Outcomes, free_port, post_statement, scaled


CRASHES = scaled(3, 10)
CLIENTS = 4
KEY_DEADLINE_SECONDS = 90  # one append may wait out a whole restart, not longer
LOAD_SECONDS = (0.4, 1.0)  # before each crash, and after the restart before the next


def _tools_missing() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create a private PostgreSQL cluster"
    for tool in ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "pg_isready"):
        if shutil.which(tool) is None:
            return f"{tool} is missing (Debian's postgresql-common)"
    if not Path("/usr/lib/postgresql").is_dir():
        return "no PostgreSQL server is installed"
    return None


class PrivateCluster:
    """A throwaway PostgreSQL cluster on a free port, trusting loopback connections."""

    def __init__(self) -> None:
        self.version = max(os.listdir("/usr/lib/postgresql"), key=int)
        self.name = f"reliability{os.getpid()}"
        self.port = free_port()

    def ctl(self, *args: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", self.version, self.name, *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def create(self) -> None:
        subprocess.run(
            [
                "pg_createcluster",
                self.version,
                self.name,
                "-p",
                str(self.port),
                "--start-conf",
                "manual",
                "--",
                "--auth=trust",
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        self.start()
        admin = create_engine(self.url("postgres", "postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql("CREATE ROLE ledger LOGIN")
            connection.exec_driver_sql("CREATE DATABASE ledger OWNER ledger")
        admin.dispose()

    def url(self, user: str = "ledger", database: str = "ledger") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.ctl("start")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = subprocess.run(
                ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
                timeout=10,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("the private cluster did not come back in 60 s")

    def crash(self) -> None:
        self.ctl("stop", "-m", "immediate")

    def drop(self) -> None:
        subprocess.run(
            ["pg_dropcluster", "--stop", self.version, self.name],
            check=False,
            capture_output=True,
            timeout=120,
        )


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    reason = _tools_missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI must run the PostgreSQL crash test: {reason}")
        pytest.skip(reason)
    private = PrivateCluster()
    try:
        private.create()
        yield private
    finally:
        private.drop()


class PatientClient(threading.Thread):
    """Appends key after key; each one is retried until it is acknowledged."""

    def __init__(self, base: str, name: str, outcomes: Outcomes, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.base, self.name, self.outcomes, self.stop = base, name, outcomes, stop
        self.keys: list[str] = []
        self.unavailable = 0
        self.lost_connections = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as http:
            n = 0
            while not self.stop.is_set():
                key = f"{self.name}-{n}"
                self.keys.append(key)
                self.append_until_acknowledged(http, key, peskov_denial(note=f"pg crash {key}"))
                n += 1

    def append_until_acknowledged(self, http: httpx.Client, key: str, body: dict[str, Any]) -> None:
        deadline = time.monotonic() + KEY_DEADLINE_SECONDS
        while time.monotonic() < deadline:
            try:
                response = post_statement(http, body, key=key)
            except httpx.TransportError:
                self.lost_connections += 1
                time.sleep(0.1)
                continue
            self.outcomes.record(response, key=key)
            if response.status_code == 201:
                return
            if response.status_code != 503:
                self.outcomes.note(f"{key}: {response.status_code} {response.text[:200]}")
                return
            self.unavailable += 1
            time.sleep(0.1)  # a real client would honour Retry-After; the test is impatient
        self.outcomes.note(f"{key}: not acknowledged in {KEY_DEADLINE_SECONDS} s")


def test_acknowledged_appends_survive_an_immediate_postgres_shutdown(
    cluster: PrivateCluster, seeded_rows: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    settings = Settings(database_url=cluster.url())
    migrations.upgrade(settings.database_url)
    copy_rows(settings, seeded_rows)
    outcomes, stop = Outcomes(), threading.Event()
    not_ready_during_outage = []
    with LedgerServer(settings.database_url, tmp_path) as server:
        clients = [PatientClient(server.base, f"c{c}", outcomes, stop) for c in range(CLIENTS)]
        for client in clients:
            client.start()
        for crash in range(CRASHES):
            time.sleep(LOAD_SECONDS[0] + (LOAD_SECONDS[1] - LOAD_SECONDS[0]) * crash / CRASHES)
            cluster.crash()
            not_ready_during_outage.append(httpx.get(f"{server.base}/readyz", timeout=30))
            time.sleep(0.3)
            cluster.start()
        time.sleep(LOAD_SECONDS[1])
        stop.set()
        for client in clients:
            client.join(timeout=KEY_DEADLINE_SECONDS + 30)
        assert httpx.get(f"{server.base}/readyz", timeout=30).status_code == 200

    assert not outcomes.unexpected, outcomes.unexpected[:10]
    assert all(r.status_code == 503 for r in not_ready_during_outage)
    assert all(r.json()["checks"]["database"]["ok"] is False for r in not_ready_during_outage)
    keys = [key for client in clients for key in client.keys]
    acknowledged = {ack["key"] for ack in outcomes.acks}
    assert acknowledged == set(keys), "a key was never acknowledged"
    audit = audit_ledger(settings, outcomes.acks)
    assert audit.events == len(seeded_rows["events"]) + len(keys)
    unavailable = sum(client.unavailable for client in clients)
    lost = sum(client.lost_connections for client in clients)
    print(
        f"\n{CRASHES} immediate PostgreSQL shutdowns under load: {len(keys)} appends"
        f" acknowledged after {unavailable} answers of 503 and {lost} lost connections;"
        f" {audit.events} events checked, 0 lost, 0 twice"
    )
