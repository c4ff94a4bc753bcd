"""SQLite behind the store: WAL, full fsync, and ``BEGIN IMMEDIATE`` for every write."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ledger.errors import ImmutableEventError, LedgerError, StorageUnavailable
from ledger.store.backend import POOL_SIZE, dbapi
from ledger.store.codec import Codec, SqliteCodec

WRITE_OPTION = "ledger_write"
# SQLite's primary result codes that mean it cannot take writes, and the reason the ledger
# gives for each (an extended code is its primary code in the low byte).
STORAGE_FAULTS = {
    sqlite3.SQLITE_FULL: "the database is full",
    sqlite3.SQLITE_READONLY: "the database is read-only",
    sqlite3.SQLITE_IOERR: "the database reported an I/O error",
    sqlite3.SQLITE_CANTOPEN: "the database cannot be opened",
}
# RAISE(ABORT) in a trigger: in this schema only the guards that keep stored rows immutable.
IMMUTABLE_ROW = sqlite3.SQLITE_CONSTRAINT_TRIGGER


class SqliteBackend:
    """Appends serialize on SQLite's single writer lock, taken up front with ``BEGIN IMMEDIATE``.

    A deferred ``BEGIN`` would take the write lock only at the first INSERT, after the tail of the
    log was read; two writers could then both read the same tail and one would fail with
    SQLITE_BUSY mid-transaction. Taking the lock before reading the tail makes commit order equal
    position order, so a reader paging with ``after=`` never skips an event that commits late.
    """

    name = "sqlite"
    driver_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    codec: Codec = SqliteCodec()

    def __init__(self, busy_timeout_ms: int = 10_000) -> None:
        self.busy_timeout_ms = busy_timeout_ms

    def create_engine(self, url: str) -> Engine:
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": self.busy_timeout_ms / 1000},
            pool_size=POOL_SIZE,
            max_overflow=POOL_SIZE,
        )
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

    def probe_sql(self) -> str:
        """About 64 KiB: a file with less room than a few appends need fails the probe."""
        return "CREATE TABLE ledger_readiness_probe AS SELECT zeroblob(65536) AS headroom"

    def translate(self, error: DBAPIError | sqlite3.Error) -> LedgerError | None:
        """SQLAlchemy's wrapped errors, or the driver's own from the driver-level hot path.

        Told apart by SQLite's extended result code, never by the message's words.
        """
        orig = error.orig if isinstance(error, DBAPIError) else error
        code = getattr(orig, "sqlite_errorcode", None)
        if code is None:
            return None
        if code == IMMUTABLE_ROW:
            return ImmutableEventError(str(orig))
        reason = STORAGE_FAULTS.get(code & 0xFF)
        return None if reason is None else StorageUnavailable(str(orig), reason)


def _begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    dbapi(connection).execute(f"BEGIN {mode}")

