"""What differs between databases: how the engine is opened, how appends are serialized,
and how driver errors become ledger errors. The store itself is written once, over this."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ledger.errors import LedgerError
from ledger.store.records import RecordedEvent

IMMUTABLE_MESSAGE = "ledger: events are immutable"


class Backend(Protocol):
    """One database's particulars, behind the one store."""

    name: str
    driver_errors: tuple[type[Exception], ...]  # what the driver raises on the hot path

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

    def encode_row(
        self, event: RecordedEvent, data_text: str, metadata_text: str
    ) -> tuple[Any, ...]:
        """The event as driver parameters for ``rows.COLUMNS``; data and metadata given as JSON."""
        ...

    def decode_instant(self, value: Any) -> datetime:
        """A ``recorded_at`` value as the driver returns it, as an aware UTC datetime."""
        ...

    def decode_row(self, row: Sequence[Any]) -> RecordedEvent:
        """A row of ``rows.COLUMNS`` as the driver returns it, as a recorded event."""
        ...

    def encode_uuid(self, value: uuid.UUID) -> Any:
        """A UUID as the driver stores it in a ``Uuid`` column."""
        ...

    def encode_instant(self, value: datetime) -> Any:
        """An aware datetime as the driver stores it in a ``UtcDateTime`` column."""
        ...

    def encode_json(self, text: str) -> Any:
        """JSON text as the driver stores it in a ``JsonType`` column."""
        ...

    def decode_json(self, value: Any) -> Any:
        """A ``JsonType`` column's value as the driver returns it, as Python values."""
        ...

    def decode_date(self, value: Any) -> date | None:
        """A ``Date`` column's value as the driver returns it."""
        ...


def dbapi(connection: Connection) -> Any:
    """The DBAPI connection under a SQLAlchemy one: the hot path speaks to it directly."""
    dbapi = connection.connection.driver_connection
    if dbapi is None:
        raise RuntimeError("the connection has no driver connection (closed?)")
    return dbapi
