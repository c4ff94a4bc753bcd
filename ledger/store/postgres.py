"""PostgreSQL behind the store: appends serialize on one transaction-scoped advisory lock."""

from __future__ import annotations


import psycopg
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from ledger.errors import ImmutableEventError, InvalidEvent, LedgerError, StorageUnavailable
from ledger.store.backend import POOL_SIZE, dbapi
from ledger.store.codec import Codec, PostgresCodec

# Any fixed 64-bit number, the same in every process that appends to this database.
APPEND_LOCK_KEY = 7_305_116_101_118_101_114
# Two statements in one simple-protocol query (no parameters): the lock, then the wake-up.
LOCK_AND_NOTIFY_SQL = f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY}); NOTIFY ledger_log"
# Connections opened beyond the pool at a peak: two server processes stay well inside
# PostgreSQL's default max_connections (100).
POOL_OVERFLOW = 10

# restrict_violation: what the guard that keeps stored rows immutable raises (migration 0001's
# ledger_refuse_change, on events, signed checkpoints and cosignatures).
IMMUTABLE_ROW = "23001"
# SQLSTATE classes and codes that mean "the database can't take writes now", not "bad input",
# and the reason the ledger gives for each (the first prefix that matches wins).
UNAVAILABLE_SQLSTATES = ("53", "08", "57P", "25006", "58030")
UNAVAILABLE_REASONS = {
    "53100": "the database is full",
    "53": "the database is out of resources",
    "08": "the database cannot be reached",
    "57P": "the database is shutting down or restarting",
    "25006": "the database is read-only",
    "58030": "the database reported an I/O error",
}


class PostgresBackend:
    """Appends take ``pg_advisory_xact_lock`` before they read the log's tail.

    Without it, two transactions could take positions N and N+1 and commit in the opposite
    order: a reader that saw N+1 and moved its cursor past it would never see N. Holding one lock
    from reading the tail to the commit makes commit order equal position order, keeps positions
    gapless (they are assigned as tail + 1, not drawn from a sequence that a rollback would skip)
    and keeps the hash chain linear. The lock is released by COMMIT or ROLLBACK, never leaked.
    """

    name = "postgresql"
    driver_errors: tuple[type[Exception], ...] = (psycopg.Error,)
    codec: Codec = PostgresCodec()

    def create_engine(self, url: str) -> Engine:
        return create_engine(
            normalize_url(url),
            pool_pre_ping=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )

    def lock_for_append(self, connection: Connection) -> None:
        """Take the append lock and queue ``NOTIFY ledger_log``, in one round trip.

        The notification is delivered when the transaction commits (and dropped if it rolls
        back), so listeners in other processes wake the moment an append is durable.
        """
        dbapi(connection).execute(LOCK_AND_NOTIFY_SQL)

    def sql(self, statement: str) -> str:
        return statement

    def probe_sql(self) -> str:
        return "CREATE TABLE ledger_readiness_probe AS SELECT g FROM generate_series(1, 2048) g"

    def translate(self, error: DBAPIError | psycopg.Error) -> LedgerError | None:
        """SQLAlchemy's wrapped errors, or the driver's own from the driver-level hot path."""
        orig = error.orig if isinstance(error, DBAPIError) else error
        message = str(orig)
        sqlstate = getattr(orig, "sqlstate", None) or ""
        if sqlstate == IMMUTABLE_ROW:
            return ImmutableEventError(message.splitlines()[0])
        if sqlstate.startswith("22"):  # data exception: a value PostgreSQL cannot store or compare
            return InvalidEvent("input", "a value the database cannot store (a NUL character?)")
        lost = isinstance(error, OperationalError) or isinstance(orig, psycopg.OperationalError)
        if lost or sqlstate.startswith(UNAVAILABLE_SQLSTATES):
            return StorageUnavailable(
                message.splitlines()[0] if message else "database unavailable",
                unavailable_reason(sqlstate),
            )
        return None


def unavailable_reason(sqlstate: str) -> str:
    """A short sentence for a SQLSTATE that means the database cannot take writes now."""
    for prefix, reason in UNAVAILABLE_REASONS.items():
        if sqlstate.startswith(prefix):
            return reason
    return "the database cannot be reached"  # no SQLSTATE: the connection itself failed


def normalize_url(url: str) -> str:
    """Use psycopg 3 whatever driver the URL names (``postgresql://`` alone means psycopg2)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)

