"""SQLite behind the store: WAL, full fsync, and ``BEGIN IMMEDIATE`` for every write."""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ledger.errors import ImmutableEventError, LedgerError, StorageUnavailable
from ledger.store.backend import dbapi
from ledger.store.codec import Codec, SqliteCodec

WRITE_OPTION = "ledger_write"
READ_POOL_SIZE = 20
WAL_GATHER_SECONDS = 0.1  # a log move waits this long after a commit, for those that follow
log = logging.getLogger(__name__)
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
            # As many kept connections as the server's threads read with at once: a connection
            # opened past the pool's size is configured (five PRAGMAs) and closed for one read.
            pool_size=READ_POOL_SIZE,
            max_overflow=READ_POOL_SIZE,
        )
        moved = _file_of(engine) is not None  # a file: its log moves on a thread (log_mover)
        event.listen(engine, "connect", functools.partial(self._configure_connection, moved))
        event.listen(engine, "begin", _begin)
        return engine

    def log_mover(self, engine: Engine) -> WalMover | None:
        """A thread that moves the WAL into the database file, for a database in a file."""
        database = _file_of(engine)
        return None if database is None else WalMover(database)

    def _configure_connection(
        self, log_moved: bool, dbapi_connection: sqlite3.Connection, _: Any
    ) -> None:
        dbapi_connection.isolation_level = None  # the "begin" listener issues BEGIN itself
        for pragma in (
            f"busy_timeout = {int(self.busy_timeout_ms)}",
            "journal_mode = WAL",
            "synchronous = FULL",
            "foreign_keys = ON",
            # REPLACE deletes the row it conflicts with without firing DELETE triggers unless
            # this is on: INSERT OR REPLACE would overwrite a stored event past the guard.
            "recursive_triggers = ON",
            # No commit copies the log into the file (SQLite's default, every 1,000 pages):
            # the store's WalMover does, on its own thread.
            *(("wal_autocheckpoint = 0",) if log_moved else ()),
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


class WalMover:
    """Moves SQLite's write-ahead log into the database file (a PASSIVE checkpoint, which waits
    for no reader and no writer) on a thread of its own, a moment after commits.

    By SQLite's default the commit that takes the log past 1,000 pages copies them into the
    file and syncs it inside that commit: its writer, and every writer of its batch, waits.
    Under 16 concurrent HTTP appends that was the slowest 1% (p99 45-48 ms without it against
    53-89 ms with it, `ledger serve` on SQLite under wrk). A process without a store open
    (another program, an older ledger) moves the log by SQLite's default as before.
    """

    def __init__(self, database: str) -> None:
        self.database = database
        self.moves = 0  # log moves done, for the curious (tests)
        self._committed = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def committed(self) -> None:
        if self._thread is None:
            with self._start:
                if self._thread is None and not self._closed:
                    self._thread = threading.Thread(
                        target=self._run, name="ledger-wal-mover", daemon=True
                    )
                    self._thread.start()
        self._committed.set()

    def close(self) -> None:
        with self._start:
            self._closed = True
        self._committed.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        connection = sqlite3.connect(self.database, isolation_level=None, check_same_thread=False)
        try:
            while True:
                self._committed.wait()
                if not self._closed:
                    time.sleep(WAL_GATHER_SECONDS)
                self._committed.clear()
                if self._closed:  # read after the clear: a close while it slept is seen here
                    return
                self._move(connection)
        finally:
            connection.close()

    def _move(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.moves += 1
        except sqlite3.Error as error:  # another process's move, a read-only file: next time
            log.debug("the WAL was not moved this time: %s", error)


def _file_of(engine: Engine) -> str | None:
    """The path of ``engine``'s database when it is a plain file (not memory, not a URI)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _begin(connection: Connection) -> None:
    mode = "IMMEDIATE" if connection.get_execution_options().get(WRITE_OPTION) else "DEFERRED"
    dbapi(connection).execute(f"BEGIN {mode}")

