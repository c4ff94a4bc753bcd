"""The append's hot path in the driver's own terms: fixed SQL, one round trip per step.

Appends are the ledger's busiest path and SQLAlchemy's statement building would cost more than
the commit itself, so the store reads the tail and writes rows through the driver connection
underneath its SQLAlchemy transaction. Reads and everything else stay in SQLAlchemy Core.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection

from ledger.store.backend import Backend, dbapi
from ledger.store.records import GENESIS_HASH, RecordedEvent

COLUMNS = "position, event_id, stream, version, type, data, metadata, recorded_at, prev_hash, hash"

# The tail of the log and the stream's version in one statement. It runs after the append lock
# is taken, so it sees every append committed before this one.
HEAD_SQL = (
    "SELECT e.position, e.hash, e.recorded_at, "
    "(SELECT max(version) FROM events WHERE stream = %s) "
    "FROM events e ORDER BY e.position DESC LIMIT 1"
)
STREAM_VERSION_SQL = "SELECT max(version) FROM events WHERE stream = %s"
# A stored event id makes its row a no-op instead of an error: the caller counts the rows
# written and treats a shortfall as a retry (or a conflict) without aborting the transaction.
INSERT_SQL = (
    f"INSERT INTO events ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (event_id) DO NOTHING"
)


class PendingRow(NamedTuple):
    """An event about to be inserted, with its data and metadata already in canonical JSON."""

    event: RecordedEvent
    data_text: str
    metadata_text: str


class Head:
    """The stream's version and the log's tail, as the append lock holder sees them."""

    __slots__ = ("version", "position", "hash", "recorded_at")

    def __init__(self, version: int | None, position: int, hash: str, recorded_at: Any) -> None:
        self.version, self.position, self.hash, self.recorded_at = (
            version,
            position,
            hash,
            recorded_at,
        )


def read_head(connection: Connection, backend: Backend, stream: str) -> Head:
    driver = dbapi(connection)
    row = driver.execute(backend.sql(HEAD_SQL), (stream,)).fetchone()
    if row is None:
        return Head(None, 0, GENESIS_HASH, None)
    position, hash_, recorded_at, version = row
    return Head(version, position, hash_, backend.decode_instant(recorded_at))


def insert_rows(connection: Connection, backend: Backend, pending: Sequence[PendingRow]) -> int:
    """Insert the events; return how many were new (a stored event id is skipped)."""
    driver = dbapi(connection)
    cursor = driver.cursor()
    try:
        rows = [backend.encode_row(*row) for row in pending]
        if len(rows) == 1:
            cursor.execute(backend.sql(INSERT_SQL), rows[0])
        else:
            cursor.executemany(backend.sql(INSERT_SQL), rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


PAGE_SQL = f"SELECT {COLUMNS} FROM events WHERE position > %s ORDER BY position LIMIT %s"


def read_rows(
    connection: Connection, backend: Backend, after: int, limit: int
) -> list[RecordedEvent]:
    """A page of the log after ``after``, decoded by the backend: the path replays and feeds take."""
    driver = dbapi(connection)
    rows = driver.execute(backend.sql(PAGE_SQL), (after, limit)).fetchall()
    return [backend.decode_row(row) for row in rows]
