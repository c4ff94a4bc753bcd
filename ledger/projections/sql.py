"""The projection tables, kept in step with the log inside each append's own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    decode,
)
from ledger.domain.model import Statement
from ledger.domain.validation import DocumentFacts
from ledger.projections.derive import StatementVersion, derive_claim, new_version
from ledger.projections.schema import (
    PROJECTION_TABLES,
    actors,
    checkpoints,
    claims,
    documents,
    stances,
    statement_versions,
)
from ledger.store import RecordedEvent, SqlEventStore

CHECKPOINT = "main"
REBUILD_PAGE = 1000


class SqlRegistry:
    """The registered documents, actors and claims, read inside the writer's transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def document(self, document_id: str) -> DocumentFacts | None:
        query = select(documents.c.document_id, documents.c.publisher, documents.c.text).where(
            documents.c.document_id == document_id
        )
        row = self.connection.execute(query).first()
        return None if row is None else DocumentFacts(*row)

    def has_actor(self, key: str) -> bool:
        query = select(actors.c.key).where(actors.c.key == key)
        return self.connection.execute(query).first() is not None

    def has_claim(self, key: str) -> bool:
        query = select(claims.c.key).where(claims.c.key == key)
        return self.connection.execute(query).first() is not None


class SqlProjection:
    """Folds events into the projection tables; a Projector for the store."""

    def apply(self, connection: Connection, recorded: Sequence[RecordedEvent]) -> None:
        touched: dict[str, int] = {}
        for event in recorded:
            claim = self._apply_one(connection, event)
            if claim is not None:
                touched[claim] = event.position
        for claim, position in touched.items():
            refresh_claim(connection, claim, position)
        _save_checkpoint(connection, recorded[-1].position)

    def _apply_one(self, connection: Connection, event: RecordedEvent) -> str | None:
        """Apply one event; return the claim whose stances it may change, if any."""
        payload = decode(event)
        match payload:
            case DocumentRegistered():
                connection.execute(insert(documents), _document_row(payload, event))
            case ActorRegistered():
                connection.execute(
                    insert(actors), _registration_row(payload, event, "name", "kind")
                )
            case ClaimRegistered():
                connection.execute(insert(claims), _claim_row(payload, event))
            case StatementRecorded():
                _insert_version(connection, event.event_id, event.event_id, payload, event)
                return payload.claim
            case StatementRetracted():
                return _end_current(connection, payload.statement_id, event, "retracted")
            case StatementCorrected():
                claim = _end_current(connection, payload.statement_id, event, "corrected")
                _insert_version(
                    connection, event.event_id, payload.statement_id, payload.statement, event
                )
                return claim
        return None


def refresh_claim(connection: Connection, claim: str, position: int) -> None:
    """Recompute one claim's stances and state from its standing versions."""
    derivation = derive_claim(list(standing_versions(connection, claim)))
    connection.execute(delete(stances).where(stances.c.claim == claim))
    if derivation.stances:
        connection.execute(
            insert(stances),
            [
                {
                    "claim": claim,
                    "actor": actor,
                    "stance": view["stance"],
                    "version_id": uuid.UUID(view["version_id"]),
                    "view": view,
                }
                for actor, view in sorted(derivation.stances.items())
            ],
        )
    connection.execute(
        update(claims)
        .where(claims.c.key == claim)
        .values(state=derivation.state, summary=derivation.summary, last_changed_position=position)
    )


def standing_versions(connection: Connection, claim: str) -> Iterator[StatementVersion]:
    query = select(statement_versions).where(
        statement_versions.c.claim == claim, statement_versions.c.ended_position.is_(None)
    )
    return (version_of(row) for row in connection.execute(query))


def version_of(row: Row[Any]) -> StatementVersion:
    return StatementVersion(**row._asdict())


def rebuild(store: SqlEventStore, projection: SqlProjection) -> int:
    """Empty the projection tables and fold the whole log in again, a page at a time.

    Runs in one write transaction, so appends wait and readers see the old tables until it
    commits. Returns the number of events folded.
    """
    with store.write_transaction() as connection:
        for table in PROJECTION_TABLES:
            connection.execute(delete(table))
        folded, after = 0, 0
        while page := store.read_page_in(connection, after=after, limit=REBUILD_PAGE):
            projection.apply(connection, page)
            folded, after = folded + len(page), page[-1].position
        return folded


def checkpoint(connection: Connection) -> int:
    """The position the projection tables have folded in, 0 before the first event."""
    query = select(checkpoints.c.position).where(checkpoints.c.name == CHECKPOINT)
    return connection.execute(query).scalar() or 0


def _save_checkpoint(connection: Connection, position: int) -> None:
    updated = connection.execute(
        update(checkpoints).where(checkpoints.c.name == CHECKPOINT).values(position=position)
    )
    if updated.rowcount == 0:
        connection.execute(insert(checkpoints), {"name": CHECKPOINT, "position": position})


def _document_row(payload: DocumentRegistered, event: RecordedEvent) -> dict[str, Any]:
    row = _registration_row(payload, event, "publisher", "language", "dated", "sha256", "text")
    row["document_id"] = payload.document_id
    return row


def _claim_row(payload: ClaimRegistered, event: RecordedEvent) -> dict[str, Any]:
    row = _registration_row(payload, event, "key", "proposition_en", "proposition_de")
    derivation = derive_claim([])
    return {**row, "state": derivation.state, "summary": derivation.summary}


def _registration_row(payload: Any, event: RecordedEvent, *fields: str) -> dict[str, Any]:
    row = {name: getattr(payload, name) for name in ("key", *fields) if hasattr(payload, name)}
    return {
        **row,
        "note": payload.note,
        "position": event.position,
        "recorded_at": event.recorded_at,
    }


def _insert_version(
    connection: Connection,
    version_id: uuid.UUID,
    statement_id: uuid.UUID,
    statement: Statement,
    event: RecordedEvent,
) -> None:
    dated = _document_date(connection, statement.source.document)
    version = new_version(
        version_id=version_id,
        statement_id=statement_id,
        statement=statement,
        document_dated=dated,
        position=event.position,
        recorded_at=event.recorded_at,
    )
    connection.execute(insert(statement_versions), version_row(version))


def version_row(version: StatementVersion) -> dict[str, Any]:
    return {name: getattr(version, name) for name in StatementVersion.__slots__}  # type: ignore[attr-defined]


def _document_date(connection: Connection, document_id: str) -> date | None:
    query = select(documents.c.dated).where(documents.c.document_id == document_id)
    return connection.execute(query).scalar()


def _end_current(
    connection: Connection, statement_id: uuid.UUID, event: RecordedEvent, ended_by: str
) -> str | None:
    """End the standing version of a statement; return its claim (None if nothing stands)."""
    query = select(statement_versions.c.version_id, statement_versions.c.claim).where(
        statement_versions.c.statement_id == statement_id,
        statement_versions.c.ended_position.is_(None),
    )
    row = connection.execute(query).first()
    if row is None:
        return None
    connection.execute(
        update(statement_versions)
        .where(statement_versions.c.version_id == row.version_id)
        .values(ended_position=event.position, ended_at=event.recorded_at, ended_by=ended_by)
    )
    return str(row.claim)
