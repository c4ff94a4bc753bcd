"""The projection tables, kept in step with the log inside each append's own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from ledger.domain.events import decode
from ledger.domain.validation import DocumentFacts
from ledger.projections import rows, search
from ledger.projections.derive import (
    ClaimDerivation,
    StatementVersion,
    derive_claim,
    extend_claim,
)
from ledger.projections.fold import Ended, Opened, Registered, fold
from ledger.projections.schema import claims, projection_positions, statement_versions
from ledger.registry import Registrations, StatementFacts
from ledger.store import Backend, RecordedEvent

POSITION_NAME = "main"
"""The name of the projection tables' row in ``projection_positions``."""


class SqlRegistry:
    """The registered documents, actors and claims, and the statements' versions, as one
    connection sees them (a read connection before the append lock, the writer's inside)."""

    def __init__(self, connection: Connection, backend: Backend) -> None:
        self.connection, self.backend = connection, backend

    def document(self, document_id: str) -> DocumentFacts | None:
        return rows.document_facts(self.connection, self.backend, document_id)

    def has_actor(self, key: str) -> bool:
        return rows.has_key(self.connection, self.backend, "actors", key)

    def has_claim(self, key: str) -> bool:
        return rows.has_key(self.connection, self.backend, "claims", key)

    def has_story(self, key: str) -> bool:
        return rows.has_key(self.connection, self.backend, "stories", key)

    def story_of(self, claim: str) -> str | None:
        return rows.story_of(self.connection, self.backend, claim)

    def latest_version(self, statement_id: uuid.UUID) -> StatementFacts | None:
        """The newest version of the statement ``statement_id`` names (its root or a version)."""
        columns = statement_versions.c
        query = (
            select(columns.statement_id, columns.claim, columns.ended_by)
            .where(or_(columns.statement_id == statement_id, columns.version_id == statement_id))
            .order_by(columns.position.desc())
        )
        row = self.connection.execute(query).first()
        return None if row is None else StatementFacts(row.statement_id, row.claim, row.ended_by)

    def said_start(self, root: uuid.UUID) -> datetime | None:
        """When the standing version of a statement says it was said, if its source dates it."""
        columns = statement_versions.c
        row = self.connection.execute(
            select(columns.said_key, columns.said_key_basis).where(
                columns.statement_id == root, columns.ended_position.is_(None)
            )
        ).first()
        if row is None or row.said_key_basis not in ("said_at", "corrected_at"):
            return None
        return row.said_key


class SqlProjection:
    """Folds events into the projection tables; a Projector for the store."""

    def __init__(self, backend: Backend, registrations: Registrations | None = None) -> None:
        """``registrations``: the documents' facts the write path's checks keep (``Ledger``'s,
        wired in ``bootstrap``); the fold takes a statement's document from it, reading the
        database on a miss only."""
        self.backend = backend
        self.registrations = registrations or Registrations()

    def apply(
        self,
        connection: Connection,
        recorded: Sequence[RecordedEvent],
        payloads: Sequence[object] = (),
        data_texts: Sequence[str] = (),
    ) -> None:
        """Fold newly recorded events in (the live path). ``payloads`` holds the typed event a
        writer built for each, or None; an event without one (appended to the store directly)
        is decoded first, which refuses data the projections could not fold. ``data_texts``:
        each event's data as the log stores it, kept as a version's body as it is (a rebuild
        stores the same text), or none."""
        length = len(recorded)
        typed = [
            payload if payload is not None else decode(event)
            for event, payload in zip(recorded, _padded(payloads, length), strict=True)
        ]
        texts = _padded(data_texts, length)
        writer = _LiveWriter(connection, self.backend, self.registrations)
        for event, payload, text in zip(recorded, typed, texts, strict=True):
            fold(writer, event, payload, text)
        writer.finish(recorded[-1].position)


def _padded(values: Sequence[Any], length: int) -> Sequence[Any]:
    return values if len(values) == length else [None] * length


class _LiveWriter:
    """One batch of events being folded into the stored tables: statement versions are
    inserted together, and each claim they touch is refreshed once at the end, not once per
    event."""

    def __init__(
        self, connection: Connection, backend: Backend, registrations: Registrations
    ) -> None:
        self.connection = connection
        self.backend = backend
        self.registrations = registrations
        self.pending: list[tuple[StatementVersion, str | None]] = []  # and its body's text
        self.touched: dict[str, int] = {}
        self.documents: dict[str, DocumentFacts | None] = {}
        # Versions this batch opened, per claim. Unless the batch also ended one of the claim's
        # versions (then it is re-read), they are folded into the claim's stored derivation.
        self.opened: dict[str, list[StatementVersion]] = {}
        self.reread: set[str] = set()

    def register(self, change: Registered) -> None:
        self.connection.execute(insert(change.table), change.row)
        search.insert_entries(self.connection, self.backend, change.entries)
        if change.story_claims:
            self.connection.execute(
                update(claims)
                .where(claims.c.key.in_(change.story_claims))
                .values(story=change.row["key"])
            )

    def open(self, change: Opened) -> None:
        document = self._document(change.document)
        version = change.version(None if document is None else document.dated)
        self.pending.append((version, change.body_text))
        self.opened.setdefault(version.claim, []).append(version)
        self.touched[version.claim] = version.position

    def end(self, change: Ended) -> None:
        self._flush()  # the version being ended may still be pending
        claim = rows.end_version(self.connection, change)
        if claim is not None:
            self.touched[claim] = change.position
            self.reread.add(claim)

    def finish(self, position: int) -> None:
        self._flush()
        for claim, last in self.touched.items():
            stored = stored_derivation(self.connection, self.backend, claim)
            derivation = self._derivation(claim, stored)
            store_derivation(self.connection, self.backend, claim, last, derivation, stored)
        rows.save_position(self.connection, self.backend, POSITION_NAME, position)

    def _derivation(self, claim: str, stored: ClaimDerivation) -> ClaimDerivation:
        """Only additions: fold them into what is stored. An ended version: derive afresh."""
        if claim in self.reread:
            return derive_claim(list(standing_versions(self.connection, claim)))
        return extend_claim(stored, self.opened[claim])

    def _document(self, document_id: str) -> DocumentFacts | None:
        """The document's facts: the write's check kept them, or one read (kept for the batch
        only: the transaction may register the document, then roll back)."""
        if document_id not in self.documents:
            facts = self.registrations.document(document_id)
            if facts is None:
                facts = rows.document_facts(self.connection, self.backend, document_id)
            self.documents[document_id] = facts
        return self.documents[document_id]

    def _language(self, document_id: str) -> str:
        document = self._document(document_id)
        return "und" if document is None else document.language

    def _flush(self) -> None:
        if self.pending:
            rows.insert_versions(self.connection, self.backend, self.pending)
            versions = [version for version, _ in self.pending]
            search.index_versions(self.connection, self.backend, versions, self._language)
            self.pending = []


def stored_derivation(connection: Connection, backend: Backend, claim: str) -> ClaimDerivation:
    """A claim's derivation as the projection tables hold it now."""
    summary, views = rows.read_derivation(connection, backend, claim)
    return ClaimDerivation(summary["state"], views, summary)


def store_derivation(
    connection: Connection,
    backend: Backend,
    claim: str,
    position: int,
    derivation: ClaimDerivation,
    stored: ClaimDerivation,
) -> None:
    """Write one claim's state, and the stance rows that differ from ``stored``."""
    changed = {a: v for a, v in derivation.stances.items() if stored.stances.get(a) != v}
    gone = [actor for actor in stored.stances if actor not in derivation.stances]
    replaced = [actor for actor in changed if actor in stored.stances] + gone
    rows.write_derivation(
        connection,
        backend,
        claim,
        position,
        derivation.state,
        derivation.summary,
        replaced,
        list(changed.values()),
    )


def standing_versions(connection: Connection, claim: str) -> Iterator[StatementVersion]:
    """A claim's versions that stand."""
    query = select(statement_versions).where(
        statement_versions.c.claim == claim, statement_versions.c.ended_position.is_(None)
    )
    return (version_of(row) for row in connection.execute(query))


def version_of(row: Row[Any]) -> StatementVersion:
    """A ``select(statement_versions)`` row, matched to the dataclass's fields by column name."""
    return StatementVersion(**row._mapping)


def projection_position(connection: Connection) -> int:
    """The position in the log the projection tables have folded in, 0 before the first event."""
    query = select(projection_positions.c.position).where(
        projection_positions.c.name == POSITION_NAME
    )
    return connection.execute(query).scalar() or 0
