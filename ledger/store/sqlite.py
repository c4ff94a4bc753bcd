"""SQLite behind the store: WAL, full fsync, and ``BEGIN IMMEDIATE`` for every write."""

from __future__ import annotations

import functools
import json
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ledger.errors import ImmutableEventError, LedgerError, StorageUnavailable
from ledger.store.backend import IMMUTABLE_MESSAGE, dbapi
from ledger.store.records import RecordedEvent

# SQLAlchemy's storage format for DateTime on SQLite: the store's rows must read back through it.
SQLITE_INSTANT = "%Y-%m-%d %H:%M:%S.%f"

WRITE_OPTION = "ledger_write"
# What SQLite says when it cannot take writes, and the reason the ledger gives for it.
STORAGE_FAULTS = {
    "database or disk is full": "the database is full",
    "readonly database": "the database is read-only",
    "disk i/o error": "the database reported an I/O error",
    "unable to open": "the database cannot be opened",
}


class SqliteBackend:
    """Appends serialize on SQLite's single writer lock, taken up front with ``BEGIN IMMEDIATE``.

    A deferred ``BEGIN`` would take the write lock only at the first INSERT, after the tail of the
    log was read; two writers could then both read the same tail and one would fail with
    SQLITE_BUSY mid-transaction. Taking the lock before reading the tail makes commit order equal
    position order, so a reader paging with ``after=`` never skips an event that commits late.
    """

    name = "sqlite"
    driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, busy_timeout_ms: int = 10_000) -> None:
        self.busy_timeout_ms = busy_timeout_ms

    def create_engine(self, url: str) -> Engine:
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": self.busy_timeout_ms / 1000})
        event.listen(engine, "connect", self._configure_connection)
        event.listen(engine, "begin", _begin)
        return engine

    def _configure_connection(self, dbapi_connection: sqlite3.Connection, _: Any) -> None:
        dbapi_connection.isolation_level = None  # the "begin" listener issues BEGIN itself
        for pragma in (
            f"busy_timeout = {int(self.busy_timeout_ms)}",
            "journal_mode = WAL",
            "synchronous = FULL",
            "foreign_keys = ON",
            # REPLACE deletes the row it conflicts with without firing DELETE triggers unless
            # this is on: INSERT OR REPLACE would overwrite a stored event past the guard.
            "recursive_triggers = ON",
        ):
            try:
                dbapi_connection.execute(f"PRAGMA {pragma}")
            except sqlite3.OperationalError:
                if "journal_mode" not in pragma:  # a read-only file cannot switch journal modes
                    raise

    def lock_for_append(self, connection: Connection) -> None:
        """Nothing more to do: the write transaction began with ``BEGIN IMMEDIATE``."""

    def sql(self, statement: str) -> str:
        return statement.replace("%s", "?")

    def encode_row(
        self, event: RecordedEvent, data_text: str, metadata_text: str
    ) -> tuple[Any, ...]:
        """Stored the way SQLAlchemy stores them: hex UUIDs, JSON text, naive UTC timestamps."""
        return (
            event.position,
            self.encode_uuid(event.event_id),
            event.stream,
            event.version,
            event.type,
            data_text,
            metadata_text,
            self.encode_instant(event.recorded_at),
            event.prev_hash,
            event.hash,
        )

    def decode_row(self, row: Sequence[Any]) -> RecordedEvent:
        position, event_id, stream, version, type_, data, metadata, recorded_at, prev, hash_ = row
        return RecordedEvent(
            position=position,
            event_id=uuid.UUID(hex=event_id),
            stream=stream,
            version=version,
            type=type_,
            data=json.loads(data),
            metadata=json.loads(metadata),
            recorded_at=self.decode_instant(recorded_at),
            prev_hash=prev,
            hash=hash_,
        )

    def encode_uuid(self, value: uuid.UUID) -> Any:
        return value.hex

    def encode_instant(self, value: datetime) -> Any:
        return _sqlite_instant(value)

    def encode_json(self, text: str) -> Any:
        return text

    def decode_json(self, value: Any) -> Any:
        return json.loads(value)

    def decode_date(self, value: Any) -> date | None:
        return None if value is None else date.fromisoformat(value)

    def decode_instant(self, value: Any) -> datetime:
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return instant.replace(tzinfo=UTC)

    def translate(self, error: DBAPIError | sqlite3.Error) -> LedgerError | None:
        """SQLAlchemy's wrapped errors, or the driver's own from the driver-level hot path."""
        message = str(error.orig if isinstance(error, DBAPIError) else error)
        if IMMUTABLE_MESSAGE in message:
            return ImmutableEventError(message)
        for fault, reason in STORAGE_FAULTS.items():
            if fault in message.lower():
                return StorageUnavailable(message, reason)
        return None


def _begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    dbapi(connection).execute(f"BEGIN {mode}")


@functools.lru_cache(maxsize=64)
def _sqlite_instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime(SQLITE_INSTANT)
