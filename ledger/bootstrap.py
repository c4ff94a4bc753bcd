"""The one place the ledger is wired together from settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger.checkpoints import CheckpointSource, KeptCheckpoints
from ledger.audit.log import CheckpointSealer, TransparencyLog, load_signing_key
from ledger.audit.witnessing import PolicyError, WitnessPolicy, WitnessPusher
from ledger.errors import InvalidEvent
from ledger.projections.sql import SqlProjection, SqlRegistry
from ledger.registry import Registrations
from ledger.replicas import ReadReplicas, parse_urls
from ledger.service import Ledger, LedgerQueries
from ledger.settings import Settings
from ledger.store import (
    Clock,
    CommitListener,
    SqlEventStore,
    Verification,
    WriteTimer,
    backend_for,
    StoreHooks,
    open_store,
    utc_now,
)


@dataclass(frozen=True)
class Wiring:
    """The ledger wired together: the store (its append pipeline folding into the projections
    and sealed by the transparency log's key), the write and read services, and the log."""

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


def open_app(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    commit_listeners: Sequence[CommitListener] = (),
    write_timers: Sequence[WriteTimer] = (),
) -> Wiring:
    """Open the configured database (already migrated): the append pipeline folds every batch
    into the projections and, with a signing key, seals the batches whose writers want receipts.
    ``commit_listeners`` and ``write_timers`` are the store's (``SqlEventStore``)."""
    backend = backend_for(settings.database_url, settings)
    registrations = Registrations()  # the checks' and the live fold's, one for both
    projection = SqlProjection(backend, registrations)
    key = None if settings.signing_key_file is None else load_signing_key(settings.signing_key_file)
    policy = None if settings.witness_policy is None else read_policy(settings.witness_policy)
    # The pusher is made before the sealer that submits to it; what it asks of the log (made
    # last, over the store) it asks once a checkpoint was kept, so after this function returned.
    pusher = None if policy is None else WitnessPusher(
        policy,
        proof=lambda old, new: log.consistency(old, new).proof,
        keep=lambda size, witness, line: log.keep_cosignature(size, witness, line),
    )
    sealer = CheckpointSealer(key, origin=settings.log_origin, clock=clock, witnesses=pusher)
    hooks = StoreHooks(
        projectors=[projection],
        sealer=None if key is None else sealer,
        commit_listeners=commit_listeners,
        write_timers=write_timers,
    )
    store = open_store(settings, clock=clock, hooks=hooks)
    queries = LedgerQueries(store, projection)
    urls = parse_urls(settings.read_database_url)
    replicas = ReadReplicas(queries, urls, settings.read_wait_ms / 1000) if urls else None
    log = TransparencyLog(store, sealer)
    witnesses = [] if policy is None else [w.verifier for w in policy.witnesses.values()]
    return Wiring(
        store=store,
        ledger=Ledger(store, lambda connection: SqlRegistry(connection, backend), registrations),
        queries=queries,
        log=log,
        checkpoints=KeptCheckpoints(None if key is None else key.verifier, witnesses),
        replicas=replicas,
    )
