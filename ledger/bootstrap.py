"""The one place the ledger is wired together from settings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ledger.checkpoints import CheckpointSource, KeptCheckpoints
from ledger.audit.log import TransparencyLog, load_signing_key
from ledger.audit.witnessing import PolicyError, WitnessPolicy
from ledger.errors import InvalidEvent
from ledger.projections.sql import SqlProjection
from ledger.replicas import ReadReplicas, parse_urls
from ledger.service import Ledger, LedgerQueries
from ledger.settings import Settings
from ledger.store import Clock, SqlEventStore, Verification, backend_for, open_store, utc_now


@dataclass(frozen=True)
class App:
    """The store with its projector, the write and read services, and the transparency log."""

    store: SqlEventStore
    ledger: Ledger
    queries: LedgerQueries
    log: TransparencyLog
    checkpoints: CheckpointSource
    replicas: ReadReplicas | None = None

    def verify(self) -> Verification:
        """The integrity walk, and with a signing key, every kept checkpoint's signature."""
        result = self.queries.verify()
        if not result.ok or self.log.key is None:
            return result
        return dataclasses.replace(result, reason=self.log.check_signatures())

    def close(self) -> None:
        if self.log.witnesses is not None:
            self.log.witnesses.close()
        if self.replicas is not None:
            self.replicas.close()
        self.store.close()


def read_policy(path: Path) -> WitnessPolicy:
    try:
        return WitnessPolicy.read(path)
    except PolicyError as error:
        raise InvalidEvent("witness_policy", str(error)) from None


def open_app(settings: Settings, *, clock: Clock = utc_now) -> App:
    """Open the configured database (already migrated) with projections kept in step."""
    backend = backend_for(settings.database_url, settings)
    projection = SqlProjection(backend)
    store = open_store(settings, clock=clock, projectors=[projection])
    key = None if settings.signing_key_file is None else load_signing_key(settings.signing_key_file)
    queries = LedgerQueries(store, projection)
    urls = parse_urls(settings.read_database_url)
    replicas = ReadReplicas(queries, urls, settings.read_wait_ms / 1000) if urls else None
    log = TransparencyLog(store, key, origin=settings.log_origin, clock=clock)
    policy = None if settings.witness_policy is None else read_policy(settings.witness_policy)
    if policy is not None:
        log.witness_with(policy)
    witnesses = [] if policy is None else [w.verifier for w in policy.witnesses.values()]
    return App(
        store=store,
        ledger=Ledger(store),
        queries=queries,
        log=log,
        checkpoints=KeptCheckpoints(None if key is None else key.verifier, witnesses),
        replicas=replicas,
    )
