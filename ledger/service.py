"""The ledger's use cases: every writer (seed, CLI, HTTP) appends through these, and only these."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, or_, select

from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    DomainEvent,
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    actor_stream,
    claim_stream,
    document_stream,
    to_new_event,
)
from ledger.domain.model import RetractionBasis, Statement
from ledger.domain.validation import validate_statement
from ledger.errors import ConcurrencyError, EventIdConflict, InvalidEvent, NotFound, StateConflict
from ledger.projections import queries
from ledger.projections.queries import NOW, PointInTime
from ledger.projections.schema import statement_versions
from ledger.projections.sql import SqlProjection, SqlRegistry, rebuild
from ledger.replay import Axis, timeline
from ledger.store.tree import rebuild_tree
from ledger.store import (
    ANY,
    NO_STREAM,
    ExpectedVersion,
    RecordedEvent,
    SqlEventStore,
    Verification,
    verify,
)

T = TypeVar("T")

IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d2c3e-8a51-4e0b-9a57-1c2b9d0e4f10")
Metadata = Mapping[str, Any]


def event_id_for(idempotency_key: str | None, event_id: uuid.UUID | None) -> uuid.UUID | None:
    """The event id a request writes: its own, or one derived from its Idempotency-Key.

    Deriving the id makes the key durable with no table of its own: the event table's unique
    event id refuses a second event for the same key in the same transaction that writes it.
    """
    if idempotency_key is None:
        return event_id
    derived = uuid.uuid5(IDEMPOTENCY_NAMESPACE, idempotency_key)
    if event_id is not None and event_id != derived:
        raise InvalidEvent(
            "event_id", "give an event_id or an Idempotency-Key, not two different ones"
        )
    return derived


class Ledger:
    """Registers documents, actors and claims; records, retracts and corrects statements."""

    def __init__(self, store: SqlEventStore) -> None:
        self.store = store

    def register_document(self, document: DocumentRegistered, **options: Any) -> RecordedEvent:
        """Register a source text; its publisher, if named, must be a registered actor."""

        def work(connection: Connection) -> RecordedEvent:
            if document.publisher and not SqlRegistry(connection, self.store.backend).has_actor(
                document.publisher
            ):
                raise InvalidEvent("publisher", "no such actor is registered")
            return self._register(
                connection, document_stream(document.document_id), document, **options
            )

        return self.store.write(work)

    def register_actor(self, actor: ActorRegistered, **options: Any) -> RecordedEvent:
        """Register someone who makes or relays statements."""

        def work(connection: Connection) -> RecordedEvent:
            return self._register(connection, actor_stream(actor.key), actor, **options)

        return self.store.write(work)

    def register_claim(self, claim: ClaimRegistered, **options: Any) -> RecordedEvent:
        """Register a proposition that statements can be about."""

        def work(connection: Connection) -> RecordedEvent:
            return self._register(connection, claim_stream(claim.key), claim, **options)

        return self.store.write(work)

    def record_statement(
        self,
        statement: Statement,
        *,
        expected_version: ExpectedVersion = ANY,
        event_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        metadata: Metadata | None = None,
    ) -> RecordedEvent:
        """Append a statement to its claim's stream once it passes every check."""
        payload = StatementRecorded(**statement.model_dump())
        event_id = event_id_for(idempotency_key, event_id)
        metadata = _with_key(metadata, idempotency_key)

        def work(connection: Connection) -> RecordedEvent:
            validate_statement(statement, SqlRegistry(connection, self.store.backend))
            return self._append(
                connection, statement.claim, payload, expected_version, event_id, metadata
            )

        return self.store.write(work)

    def retract_statement(
        self,
        statement_id: uuid.UUID,
        *,
        reason: str,
        basis: RetractionBasis,
        expected_version: ExpectedVersion = ANY,
        event_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        metadata: Metadata | None = None,
    ) -> RecordedEvent:
        """Stop counting a statement from now on; it stays in the log and in the replay."""

        def retraction(connection: Connection, root: uuid.UUID, claim: str) -> DomainEvent:
            return StatementRetracted(statement_id=root, reason=reason, basis=basis)

        asked = {"reason": reason, "basis": basis}
        return self._amend(
            statement_id, asked, retraction, expected_version, event_id, idempotency_key, metadata
        )

    def correct_statement(
        self,
        statement_id: uuid.UUID,
        corrected: Statement,
        *,
        reason: str,
        basis: RetractionBasis,
        expected_version: ExpectedVersion = ANY,
        event_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        metadata: Metadata | None = None,
    ) -> RecordedEvent:
        """Replace a statement's reading from now on; the original stays in the log."""

        def correction(connection: Connection, root: uuid.UUID, claim: str) -> DomainEvent:
            if corrected.claim != claim:
                raise InvalidEvent("statement.claim", f"a correction stays on claim {claim!r}")
            validate_statement(
                corrected, SqlRegistry(connection, self.store.backend), field="statement."
            )
            return StatementCorrected(
                statement_id=root, reason=reason, basis=basis, statement=corrected
            )

        asked = {"reason": reason, "basis": basis, "statement": corrected.model_dump(mode="json")}
        return self._amend(
            statement_id, asked, correction, expected_version, event_id, idempotency_key, metadata
        )

    def _amend(
        self,
        statement_id: uuid.UUID,
        asked: Mapping[str, Any],
        build: Callable[[Connection, uuid.UUID, str], DomainEvent],
        expected_version: ExpectedVersion,
        event_id: uuid.UUID | None,
        idempotency_key: str | None,
        metadata: Metadata | None,
    ) -> RecordedEvent:
        """Append a retraction or correction of a standing statement, or return its retry."""
        event_id = event_id_for(idempotency_key, event_id)
        metadata = _with_key(metadata, idempotency_key)

        def work(connection: Connection) -> RecordedEvent:
            retry = self._stored_retry(connection, event_id)
            if retry is not None:
                return _confirmed_retry(connection, retry, statement_id, asked)
            root, claim = standing_statement(connection, statement_id)
            payload = build(connection, root, claim)
            return self._append(connection, claim, payload, expected_version, event_id, metadata)

        return self.store.write(work)

    def _register(
        self,
        connection: Connection,
        stream: str,
        payload: DomainEvent,
        *,
        event_id: uuid.UUID | None = None,
        metadata: Metadata | None = None,
    ) -> RecordedEvent:
        event = to_new_event(payload, event_id=event_id, metadata=metadata)
        try:
            return self.store.append_in(connection, stream, [event], expected_version=NO_STREAM)[0]
        except ConcurrencyError:
            raise StateConflict(f"{stream} is already registered") from None

    def _append(
        self,
        connection: Connection,
        claim: str,
        payload: DomainEvent,
        expected_version: ExpectedVersion,
        event_id: uuid.UUID | None,
        metadata: Metadata | None,
    ) -> RecordedEvent:
        event = to_new_event(payload, event_id=event_id, metadata=metadata)
        stream = claim_stream(claim)
        return self.store.append_in(connection, stream, [event], expected_version=expected_version)[
            0
        ]

    def _stored_retry(
        self, connection: Connection, event_id: uuid.UUID | None
    ) -> RecordedEvent | None:
        """A retry of a retraction or correction finds its event already stored."""
        if event_id is None:
            return None
        return self.store.get_event_in(connection, event_id)


def standing_statement(connection: Connection, statement_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """The root id and claim of the statement ``statement_id`` names, if it still stands."""
    row = _latest_version(connection, statement_id)
    if row is None:
        raise NotFound(f"no statement {statement_id}")
    if row.ended_by == "retracted":
        raise StateConflict(f"statement {statement_id} is already retracted")
    return row.statement_id, row.claim


def _latest_version(connection: Connection, statement_id: uuid.UUID) -> Any:
    """The newest version of the statement that ``statement_id`` names (its root or a version)."""
    columns = statement_versions.c
    query = (
        select(columns.statement_id, columns.claim, columns.ended_by)
        .where(or_(columns.statement_id == statement_id, columns.version_id == statement_id))
        .order_by(columns.position.desc())
    )
    return connection.execute(query).first()


def _confirmed_retry(
    connection: Connection,
    stored: RecordedEvent,
    statement_id: uuid.UUID,
    expected: Mapping[str, Any],
) -> RecordedEvent:
    """A stored retraction or correction is returned for a retry only if the retry asks the same."""
    version = _latest_version(connection, statement_id)
    same = (
        stored.type in ("StatementRetracted", "StatementCorrected")
        and version is not None
        and stored.data.get("statement_id") == str(version.statement_id)
        and all(stored.data.get(name) == value for name, value in expected.items())
    )
    if not same:
        raise EventIdConflict(stored.event_id)
    return stored


def _with_key(metadata: Metadata | None, idempotency_key: str | None) -> dict[str, Any]:
    merged = dict(metadata or {})
    if idempotency_key is not None:
        merged["idempotency_key"] = idempotency_key
    return merged


class LedgerQueries:
    """What the ledger says now and at earlier points; every read the API and CLI make."""

    def __init__(self, store: SqlEventStore, projection: SqlProjection) -> None:
        self.store = store
        self.projection = projection

    def claims(self, at: PointInTime = NOW) -> list[dict[str, Any]]:
        with self.store.read_connection() as connection:
            return queries.claim_views(connection, at)

    def claim(self, key: str, at: PointInTime = NOW) -> dict[str, Any]:
        with self.store.read_connection() as connection:
            return _found(queries.claim_view(connection, key, at), f"no claim {key!r}")

    def claim_history(self, key: str) -> list[dict[str, Any]]:
        with self.store.read_connection() as connection:
            return _found(queries.claim_history(connection, key), f"no claim {key!r}")

    def statement(self, statement_id: uuid.UUID) -> dict[str, Any]:
        with self.store.read_connection() as connection:
            return _found(
                queries.statement_view(connection, statement_id), f"no statement {statement_id}"
            )

    def actors(self) -> list[dict[str, Any]]:
        with self.store.read_connection() as connection:
            return queries.actor_views(connection)

    def actor(self, key: str) -> dict[str, Any]:
        with self.store.read_connection() as connection:
            return _found(queries.actor_view(connection, key), f"no actor {key!r}")

    def documents(self) -> list[dict[str, Any]]:
        with self.store.read_connection() as connection:
            return queries.document_views(connection)

    def document(self, document_id: str) -> dict[str, Any]:
        with self.store.read_connection() as connection:
            return _found(
                queries.document_view(connection, document_id), f"no document {document_id!r}"
            )

    def replay(
        self, *, start: datetime, end: datetime, axis: Axis, claim: str | None = None
    ) -> dict[str, Any]:
        with self.store.read_connection() as connection:
            if claim is not None:
                _found(queries.claim_view(connection, claim), f"no claim {claim!r}")
            return timeline(connection, start=start, end=end, axis=axis, claim=claim)

    def verify(self) -> Verification:
        return verify(self.store)

    def rebuild_projections(self) -> int:
        return rebuild(self.store, self.projection)

    def rebuild_tree(self) -> tuple[int, bytes]:
        """Recompute the stored Merkle nodes from the events; the tree's size and root."""
        with self.store.write_transaction() as connection:
            return rebuild_tree(connection)


def _found(value: T | None, message: str) -> T:
    if value is None:
        raise NotFound(message)
    return value
