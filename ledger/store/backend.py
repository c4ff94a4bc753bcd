"""What differs between databases: how the engine is opened, how appends are serialized,
and how driver errors become ledger errors. The store itself is written once, over this."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ledger.errors import LedgerError
from ledger.store.records import RecordedEvent

IMMUTABLE_MESSAGE = "ledger: events are immutable"


class Backend(Protocol):
    """One database's particulars, behind the one store."""

    name: str

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
