"""Reads from PostgreSQL streaming replicas, with read-your-writes through a position token.

Writes always go to the primary. A read that carries ``min_position`` (the position a write
answered) is served by a replica only once the replica has replayed that far: the replica's
head is polled for up to ``read_wait_ms``, and if it is still behind (or unreachable) the read
is answered by the primary. The caller learns which answered. Without ``min_position`` any
reachable replica serves, in turn. A replica that fails is left out for ``RETRY_SECONDS``.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from ledger.projections.sql import SqlProjection
from ledger.service import LedgerQueries
from ledger.store import SqlEventStore, backend_for
from ledger.store.backend import POOL_SIZE
from ledger.store.postgres import POOL_OVERFLOW, normalize_url

POLL_SECONDS = 0.005
RETRY_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 2
PRIMARY, REPLICA = "primary", "replica"


@dataclass(frozen=True, slots=True)
class Replica:
    """One read replica: its URL (password hidden) and the queries served from it."""

    name: str
    store: SqlEventStore
    queries: LedgerQueries


@dataclass(frozen=True, slots=True)
class ReadChoice:
    """Who serves a read: the queries, and ``primary`` or ``replica``."""

    queries: LedgerQueries
    served_by: str


class ReadReplicas:
    """Chooses a replica for each read, falling back to the primary."""

    def __init__(self, primary: LedgerQueries, urls: list[str], wait_seconds: float) -> None:
        self.primary = primary
        self.wait_seconds = wait_seconds
        self.replicas = [_open(url) for url in urls]
        self._turn = itertools.count()
        self._down_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def choose(self, min_position: int | None) -> ReadChoice:
        """A replica that has ``min_position`` (waiting a bounded time), else the primary."""
        deadline = time.monotonic() + (self.wait_seconds if min_position else 0)
        for replica in self._in_turn():
            while True:
                head = self._head(replica)
                if head is None:
                    break  # unreachable: try the next
                if min_position is None or head >= min_position:
                    return ReadChoice(replica.queries, REPLICA)
                if time.monotonic() >= deadline:
                    break
                time.sleep(POLL_SECONDS)
        return ReadChoice(self.primary, PRIMARY)

    def lag(self, primary_head: int | None) -> list[dict[str, Any]]:
        """Each replica's replayed head and lag, in events and seconds (None: unreachable)."""
        return [self._lag_of(replica, primary_head) for replica in self.replicas]

    def close(self) -> None:
        for replica in self.replicas:
            replica.store.close()

    def _in_turn(self) -> list[Replica]:
        now = time.monotonic()
        with self._lock:
            live = [r for r in self.replicas if self._down_until.get(r.name, 0) <= now]
        if not live:
            return []
        start = next(self._turn) % len(live)
        return live[start:] + live[:start]

    def _head(self, replica: Replica) -> int | None:
        try:
            return replica.store.head_position()
        except (SQLAlchemyError, Exception):  # noqa: BLE001 - any failure means "not now"
            with self._lock:
                self._down_until[replica.name] = time.monotonic() + RETRY_SECONDS
            return None

    def _lag_of(self, replica: Replica, primary_head: int | None) -> dict[str, Any]:
        try:
            with replica.store.read_connection() as connection:
                head = replica.store.head_position_in(connection)
                seconds = connection.execute(text(LAG_SQL)).scalar()
        except Exception:  # noqa: BLE001 - a probe reports, it never raises
            return {"replica": replica.name, "reachable": False}
        behind = None if primary_head is None else max(0, primary_head - head)
        return {
            "replica": replica.name,
            "reachable": True,
            "head": head,
            "lag_events": behind,
            "lag_seconds": None if seconds is None else round(float(seconds), 3),
        }


# Seconds since the last transaction the replica replayed; 0 when it has replayed all it got.
LAG_SQL = (
    "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
    "ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END"
)


def _open(url: str) -> Replica:
    backend = backend_for(url)
    if backend.name != "postgresql":
        raise ValueError("LEDGER_READ_DATABASE_URL names PostgreSQL streaming replicas")
    engine = create_engine(
        normalize_url(url),
        pool_pre_ping=True,
        pool_size=POOL_SIZE,  # a replica takes the reads the primary would: the same pool
        max_overflow=POOL_OVERFLOW,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    store = SqlEventStore(engine, backend)
    name = engine.url.render_as_string(hide_password=True)
    return Replica(name, store, LedgerQueries(store, SqlProjection(backend)))


def parse_urls(value: str) -> list[str]:
    """``LEDGER_READ_DATABASE_URL``: one URL, or several separated by commas or spaces."""
    return [url for url in value.replace(",", " ").split() if url]
