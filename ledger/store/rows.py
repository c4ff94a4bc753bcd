"""The append's hot path in the driver's own terms: fixed SQL, one round trip per step.

Appends are the ledger's busiest path and SQLAlchemy's statement building would cost more than
the commit itself, so the store reads the tail and writes rows through the driver connection
underneath its SQLAlchemy transaction, and reads the log the same way, decoding every row in
one place (``Codec.events``). The SQL is generated from ``schema.py`` once, at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, func, literal_column, select

from ledger.store.backend import Backend, dbapi
from ledger.store.records import GENESIS_HASH, RecordedEvent
from ledger.store.schema import column_list, events, fixed_sql, insert_sql

COLUMNS = column_list(events)

# The tail of the log and the stream's version in one statement. It runs after the append lock
# is taken, so it sees every append committed before this one.
_STREAM_VERSION = select(func.max(events.c.version)).where(events.c.stream == bindparam("stream"))
# The log's tail and one stream's version in one query: what every append reads first.
HEAD_SQL = fixed_sql(
    select(
        events.c.position,
        events.c.hash,
        events.c.recorded_at,
        _STREAM_VERSION.scalar_subquery(),
    )
    .order_by(events.c.position.desc())
    .limit(literal_column("1"))
)
STREAM_VERSION_SQL = fixed_sql(_STREAM_VERSION)
# A stored event id makes its row a no-op instead of an error: the caller counts the rows
# written and treats a shortfall as a retry (or a conflict) without aborting the transaction.
ON_CONFLICT = " ON CONFLICT (event_id) DO NOTHING"
INSERT_SQL = insert_sql(events, ON_CONFLICT)


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
    return Head(version, position, hash_, backend.codec.decode_instant(recorded_at))


def read_stream_version(connection: Connection, backend: Backend, stream: str) -> int | None:
    """The stream's last version (None when it has none), on the append lock holder's
    connection: a batch reads the tail once and each further stream's version with this."""
    row = dbapi(connection).execute(backend.sql(STREAM_VERSION_SQL), (stream,)).fetchone()
    return None if row is None else row[0]


def insert_rows(connection: Connection, backend: Backend, pending: Sequence[PendingRow]) -> int:
    """Insert the batch's events in one executemany; return how many were new (a stored event
    id is skipped).

    One statement text for every row, not a multi-row VALUES: the drivers prepare (SQLite) or
    pipeline (psycopg) it once, where psycopg re-parses a long VALUES text on every call (it
    caches only short queries), which made a batch of 100 a third slower on PostgreSQL.
    """
    cursor = dbapi(connection).cursor()
    try:
        cursor.executemany(backend.sql(INSERT_SQL), [encode_event(backend, *row) for row in pending])
        return int(cursor.rowcount)
    finally:
        cursor.close()


def encode_event(
    backend: Backend, event: RecordedEvent, data_text: str, metadata_text: str
) -> list[Any]:
    """The event as parameters for ``INSERT_SQL``, its data and metadata as canonical JSON."""
    codec = backend.codec
    encode = codec.events_row
    return encode(event, codec.encode_json(data_text), codec.encode_json(metadata_text))


SELECT_SQL = f"SELECT {COLUMNS} FROM events"
PAGE_SQL = f"{SELECT_SQL} WHERE position > %s ORDER BY position LIMIT %s"
STREAM_SQL = f"{SELECT_SQL} WHERE stream = %s AND version >= %s ORDER BY version"
BY_ID_SQL = f"{SELECT_SQL} WHERE event_id = %s"


def read_rows(
    connection: Connection, backend: Backend, after: int, limit: int
) -> list[RecordedEvent]:
    """A page of the log after ``after``: the path replays and feeds take."""
    return select_events(connection, backend, PAGE_SQL, after, limit)


def read_stream_rows(
    connection: Connection, backend: Backend, stream: str, from_version: int, limit: int | None
) -> list[RecordedEvent]:
    """A stream's events from ``from_version`` on, in version order."""
    if limit is None:
        return select_events(connection, backend, STREAM_SQL, stream, from_version)
    return select_events(connection, backend, STREAM_SQL + " LIMIT %s", stream, from_version, limit)


def read_event_row(connection: Connection, backend: Backend, event_id: Any) -> RecordedEvent | None:
    """One event by id, or None."""
    found = select_events(connection, backend, BY_ID_SQL, backend.codec.encode_uuid(event_id))
    return found[0] if found else None


def select_events(
    connection: Connection, backend: Backend, sql: str, *params: Any
) -> list[RecordedEvent]:
    """Every row ``sql`` (a ``SELECT_SQL`` with conditions) selects, decoded by the codec."""
    rows = dbapi(connection).execute(backend.sql(sql), params).fetchall()
    decode = backend.codec.events.decode
    return [decode(row) for row in rows]
