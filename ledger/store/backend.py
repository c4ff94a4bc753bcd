"""What differs between databases: how the engine is opened, how appends are serialized,
how driver errors become ledger errors, and (in ``codec``) how the driver stores each column
type. The store itself is written once, over this."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ledger.errors import LedgerError
from ledger.store.codec import Codec

IMMUTABLE_MESSAGE = "ledger: events are immutable"
# Connections an engine keeps: as many as a server's threads use at once. Past the pool, a
# connection is opened for one request and closed after it (SQLite: five PRAGMAs; PostgreSQL:
# a new session), which under 16 concurrent requests cost more than the requests themselves.
POOL_SIZE = 20


class Backend(Protocol):
    """One database's dialect, behind the one store: engine, append lock, errors, probes."""

    name: str
    driver_errors: tuple[type[Exception], ...]  # what the driver raises on the hot path
    codec: Codec  # values to and from the driver's rows, for every driver-level read and write

    def create_engine(self, url: str) -> Engine:
        """An engine configured for the ledger's durability and locking needs."""
        ...

    def lock_for_append(self, connection: Connection) -> None:
        """Serialize appends: called first in every write transaction, held until it ends."""
        ...

    def translate(self, error: DBAPIError) -> LedgerError | None:
        """The ledger error a driver error means, or None when it is not one we expect."""
        ...

    def sql(self, statement: str) -> str:
        """``statement`` (written with ``%s`` placeholders) in the driver's parameter style."""
        ...

    def probe_sql(self) -> str:
        """A trial write for readiness: fills a scratch table the caller rolls back."""
        ...


def dbapi(connection: Connection) -> Any:
    """The DBAPI connection under a SQLAlchemy one: the hot path speaks to it directly."""
    dbapi = connection.connection.driver_connection
    if dbapi is None:
        raise RuntimeError("the connection has no driver connection (closed?)")
    return dbapi
