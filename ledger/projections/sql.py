"""The projection tables, kept in step with the log inside each append's own transaction."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    StoryRegistered,
    decode,
)
from ledger.domain.validation import DocumentFacts
from ledger.projections.derive import (
    ClaimDerivation,
    StatementVersion,
    derive_claim,
    extend_claim,
    correction_time,
    new_version,
    withdrawal_time,
)
from ledger.projections import rows, search
from ledger.projections.schema import (
    actors,
    checkpoints,
    claims,
    documents,
    statement_versions,
    stories,
)
from ledger.registry import StatementFacts
from ledger.store import Backend, RecordedEvent

CHECKPOINT = "main"


class SqlRegistry:
    """The registered documents, actors and claims, and the statements' versions, as one
    connection sees them (a read connection before the append lock, the writer's inside)."""

    def __init__(self, connection: Connection, backend: Backend) -> None:
        self.connection, self.backend = connection, backend

    def document(self, document_id: str) -> DocumentFacts | None:
        facts = rows.document_facts(self.connection, self.backend, document_id)
        if facts is None:
            return None
        dated = rows.document_date(self.connection, self.backend, document_id)
        return DocumentFacts(*facts, dated=dated)

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

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def apply(
        self,
        connection: Connection,
        recorded: Sequence[RecordedEvent],
        payloads: Sequence[object] = (),
    ) -> None:
        """Fold newly recorded events in (the live path). ``payloads`` holds the typed event a
        writer built for each, or None; an event without one (appended to the store directly)
        is decoded first, which refuses data the projections could not fold."""
        typed = [
            payload if payload is not None else decode(event)
            for event, payload in zip(recorded, _padded(payloads, len(recorded)), strict=True)
        ]
        self.fold(connection, recorded, typed)

    def fold(
        self,
        connection: Connection,
        events: Sequence[RecordedEvent],
        payloads: Sequence[object] = (),
    ) -> None:
        """Fold events in, version rows inserted in bulk; a registration without its typed
        payload (a rebuild's) is decoded here."""
        fold = _Fold(connection, self.backend)
        for event, payload in zip(events, _padded(payloads, len(events)), strict=True):
            fold.add(event, payload)
        fold.finish(events[-1].position)


def _padded(payloads: Sequence[object], length: int) -> Sequence[object]:
    return payloads if len(payloads) == length else [None] * length


class _Fold:
    """One batch of events being folded in: statement versions are inserted together, and each
    claim they touch is refreshed once at the end, not once per event."""

    def __init__(self, connection: Connection, backend: Backend) -> None:
        self.connection = connection
        self.backend = backend
        self.pending: list[StatementVersion] = []
        self.touched: dict[str, int] = {}
        self.dates: dict[str, date | None] = {}
        # Versions this batch opened, per claim. Unless the batch also ended one of the claim's
        # versions (then it is re-read), they are folded into the claim's stored derivation.
        self.opened: dict[str, list[StatementVersion]] = {}
        self.reread: set[str] = set()

    def add(self, event: RecordedEvent, payload: object = None) -> None:
        if event.type == "StatementRecorded":
            self._open(event.event_id, event.event_id, event.data, event)
        elif event.type in ("StatementRetracted", "StatementCorrected"):
            self._flush()  # the version being ended may still be pending
            self._end_or_replace(event)
        elif event.type in REGISTRATIONS:
            self._register(event, payload if payload is not None else decode(event))

    def finish(self, position: int) -> None:
        self._flush()
        for claim, last in self.touched.items():
            stored = stored_derivation(self.connection, self.backend, claim)
            derivation = self._derivation(claim, stored)
            store_derivation(self.connection, self.backend, claim, last, derivation, stored)
        rows.save_checkpoint(self.connection, self.backend, CHECKPOINT, position)

    def _derivation(self, claim: str, stored: ClaimDerivation) -> ClaimDerivation:
        """Only additions: fold them into what is stored. An ended version: derive afresh."""
        if claim in self.reread:
            return derive_claim(list(standing_versions(self.connection, claim)))
        return extend_claim(stored, self.opened[claim])

    def _open(
        self, version_id: uuid.UUID, root: uuid.UUID, body: Any, event: RecordedEvent
    ) -> None:
        version = new_version(
            version_id=version_id,
            statement_id=root,
            body=body,
            document_dated=self._dated(body["source"]["document"]),
            position=event.position,
            recorded_at=event.recorded_at,
            corrected_at=correction_time(event),
        )
        self.pending.append(version)
        self.opened.setdefault(version.claim, []).append(version)
        self.touched[version.claim] = event.position

    def _end_or_replace(self, event: RecordedEvent) -> None:
        ended_by = "retracted" if event.type == "StatementRetracted" else "corrected"
        claim = _end_current(
            self.connection, uuid.UUID(event.data["statement_id"]), event, ended_by
        )
        if claim is not None:
            self.touched[claim] = event.position
            self.reread.add(claim)
        if ended_by == "corrected":
            root = uuid.UUID(event.data["statement_id"])
            self._open(event.event_id, root, event.data["statement"], event)

    def _register(self, event: RecordedEvent, payload: object) -> None:
        match payload:
            case DocumentRegistered():
                self.connection.execute(insert(documents), _document_row(payload, event))
            case ActorRegistered():
                self.connection.execute(insert(actors), _actor_row(payload, event))
            case ClaimRegistered():
                self.connection.execute(insert(claims), _claim_row(payload, event))
                search.index_claim(self.connection, self.backend, payload.key, payload.propositions)
            case StoryRegistered():
                self.connection.execute(insert(stories), _story_row(payload, event))
                if payload.claims:
                    self.connection.execute(
                        update(claims).where(claims.c.key.in_(payload.claims)).values(story=payload.key)
                    )

    def _dated(self, document_id: str) -> date | None:
        if document_id not in self.dates:
            self.dates[document_id] = rows.document_date(self.connection, self.backend, document_id)
        return self.dates[document_id]

    def _flush(self) -> None:
        if self.pending:
            rows.insert_versions(self.connection, self.backend, self.pending)
            search.index_versions(self.connection, self.backend, self.pending)
            self.pending = []


REGISTRATIONS = ("DocumentRegistered", "ActorRegistered", "ClaimRegistered", "StoryRegistered")


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


def checkpoint(connection: Connection) -> int:
    """The position the projection tables have folded in, 0 before the first event."""
    query = select(checkpoints.c.position).where(checkpoints.c.name == CHECKPOINT)
    return connection.execute(query).scalar() or 0


def _document_row(payload: DocumentRegistered, event: RecordedEvent) -> dict[str, Any]:
    row = _registration_row(
        payload, event, "publisher", "language", "dated", "sha256", "text", "title", "author",
        "published", "url",
    )
    original, extractor = payload.original, payload.extractor
    return {
        **row,
        "document_id": payload.document_id,
        "original": None if original is None else original.summary(),
        "original_content": None if original is None else base64.b64decode(original.content),
        "extractor": None if extractor is None else extractor.model_dump(),
    }


def _actor_row(payload: ActorRegistered, event: RecordedEvent) -> dict[str, Any]:
    row = _registration_row(payload, event, "name", "kind")
    return {**row, "aliases": list(payload.aliases) or None}


def _claim_row(payload: ClaimRegistered, event: RecordedEvent) -> dict[str, Any]:
    row = _registration_row(payload, event, "key", "propositions", "story")
    derivation = derive_claim([])
    return {**row, "state": derivation.state, "summary": derivation.summary}


def _story_row(payload: StoryRegistered, event: RecordedEvent) -> dict[str, Any]:
    return {
        "key": payload.key,
        "title": payload.title,
        "description": payload.description,
        "position": event.position,
        "recorded_at": event.recorded_at,
    }


def _registration_row(payload: Any, event: RecordedEvent, *fields: str) -> dict[str, Any]:
    row = {name: getattr(payload, name) for name in ("key", *fields) if hasattr(payload, name)}
    return {
        **row,
        "note": payload.note,
        "position": event.position,
        "recorded_at": event.recorded_at,
    }


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
        .values(
            ended_position=event.position,
            ended_at=event.recorded_at,
            ended_by=ended_by,
            withdrawn_at=withdrawal_time(event),
        )
    )
    return str(row.claim)
