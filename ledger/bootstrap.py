"""The one place the ledger is wired together from settings."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.checkpoints import CheckpointSource, NoCheckpoints
from ledger.projections.sql import SqlProjection
from ledger.replicas import ReadReplicas, parse_urls
from ledger.service import Ledger, LedgerQueries
from ledger.settings import Settings
from ledger.store import Clock, SqlEventStore, backend_for, open_store, utc_now


@dataclass(frozen=True)
class App:
    """The store with its projector, the write service and the read service over it."""

    store: SqlEventStore
    ledger: Ledger
    queries: LedgerQueries
    checkpoints: CheckpointSource = NoCheckpoints()
    replicas: ReadReplicas | None = None

    def close(self) -> None:
        if self.replicas is not None:
            self.replicas.close()
        self.store.close()


def open_app(settings: Settings, *, clock: Clock = utc_now) -> App:
    """Open the configured database (already migrated) with projections kept in step."""
    backend = backend_for(settings.database_url, settings)
    projection = SqlProjection(backend)
    store = open_store(settings, clock=clock, projectors=[projection])
    queries = LedgerQueries(store, projection)
    urls = parse_urls(settings.read_database_url)
    replicas = ReadReplicas(queries, urls, settings.read_wait_ms / 1000) if urls else None
    return App(store=store, ledger=Ledger(store), queries=queries, replicas=replicas)
