"""The append-only event store: one interface, SQLite and PostgreSQL behind it."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from ledger.settings import Settings
from ledger.store.backend import Backend
from ledger.store.postgres import PostgresBackend
from ledger.store.records import ANY, NO_STREAM, ExpectedVersion, NewEvent, RecordedEvent
from ledger.store.pipeline import (
    Append,
    CanonicalTexts,
    Planned,
    Projector,
    Sealer,
    encode,
)
from ledger.store.sql import (
    Clock,
    CommitListener,
    SqlEventStore,
    StoreHooks,
    WriteTimer,
    utc_now,
)
from ledger.store.sqlite import SqliteBackend
from ledger.store.verify import (
    KeptVerification,
    Verification,
    keep_verification,
    last_verification,
    verify,
)

__all__ = [
    "ANY",
    "NO_STREAM",
    "Backend",
    "Append",
    "CanonicalTexts",
    "Planned",
    "Sealer",
    "encode",
    "Clock",
    "CommitListener",
    "WriteTimer",
    "ExpectedVersion",
    "NewEvent",
    "Projector",
    "RecordedEvent",
    "SqlEventStore",
    "StoreHooks",
    "Verification",
    "backend_for",
    "open_store",
    "utc_now",
    "verify",
    "KeptVerification",
    "keep_verification",
    "last_verification",
]


def backend_for(url: str, settings: Settings | None = None) -> Backend:
    """The backend a database URL names."""
    settings = settings or Settings()
    backend_name = make_url(url).get_backend_name()
    if backend_name == "sqlite":
        return SqliteBackend(busy_timeout_ms=settings.sqlite_busy_timeout_ms)
    if backend_name == "postgresql":
        return PostgresBackend()
    raise ValueError(f"unsupported database {backend_name!r}: use sqlite or postgresql")


def open_store(
    settings: Settings, *, clock: Clock = utc_now, hooks: StoreHooks = StoreHooks()
) -> SqlEventStore:
    """A store on the configured database (its schema must be migrated already), calling
    ``hooks`` as it writes (its projections, its sealer, its listeners)."""
    backend = backend_for(settings.database_url, settings)
    engine = backend.create_engine(settings.database_url)
    return SqlEventStore(engine, backend, clock=clock, hooks=hooks)
