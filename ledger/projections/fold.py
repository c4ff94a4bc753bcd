"""The fold core: what each event changes in the projections, worked out without I/O.

Two writers store what it works out. The live projection (``sql.py``) folds each appended
batch into the stored tables inside the append's transaction; the rebuild (``rebuild.py``)
folds the whole log into empty tables in bulk. Both hand every event to ``fold``, which turns
the event and its typed payload into changes (a registration's row, a statement version
opened, a standing version ended) and gives each to the writer. So the dispatch on the event's
type, the registration rows and the times a retraction or correction carries are written once,
and a rebuild fills the same rows the live writer does (the property test checks it).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import Table

from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    StatementCorrected,
    StatementRetracted,
    StoryRegistered,
    decode,
)
from ledger.domain.model import RetractionBasis
from ledger.projections import search
from ledger.projections.derive import StatementVersion, derive_claim, new_version
from ledger.projections.schema import actors, claims, documents, stories
from ledger.store import RecordedEvent


@dataclass(frozen=True, slots=True)
class Registered:
    """A registration's row for its table, with what else it brings: a claim's search
    entries, the claims a story gathers."""

    table: Table
    row: dict[str, Any]
    entries: Sequence[search.Entry] = ()
    story_claims: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Opened:
    """A statement version an event opens: a recording, or a correction's new reading.

    ``body`` is the statement as the log stores it (JSON values); ``body_text`` its JSON text,
    when the reader has it (a rebuild reads the log's rows as text and stores them as read).
    """

    version_id: uuid.UUID
    statement_id: uuid.UUID
    body: Mapping[str, Any]
    position: int
    recorded_at: datetime
    corrected_at: datetime | None = None
    body_text: str | None = None

    @property
    def document(self) -> str:
        return str(self.body["source"]["document"])

    def version(self, document_dated: date | None) -> StatementVersion:
        """The version, placed on the said axis with its document's printed date."""
        return new_version(
            version_id=self.version_id,
            statement_id=self.statement_id,
            body=self.body,
            document_dated=document_dated,
            position=self.position,
            recorded_at=self.recorded_at,
            corrected_at=self.corrected_at,
        )


@dataclass(frozen=True, slots=True)
class Ended:
    """The end of a statement's standing version, by a retraction or a correction."""

    statement_id: uuid.UUID
    position: int
    ended_at: datetime
    ended_by: str
    withdrawn_at: datetime | None


Change = Registered | Opened | Ended


class FoldWriter(Protocol):
    """Where the changes go: the stored tables, or a bulk load of them."""

    def register(self, change: Registered) -> None: ...

    def open(self, change: Opened) -> None: ...

    def end(self, change: Ended) -> None: ...


def fold(
    writer: FoldWriter, event: RecordedEvent, payload: object = None, data_text: str | None = None
) -> None:
    """Give ``writer`` the changes one event makes, in the order they apply."""
    for change in changes(event, payload, data_text):
        if isinstance(change, Registered):
            writer.register(change)
        elif isinstance(change, Opened):
            writer.open(change)
        else:
            writer.end(change)


def changes(
    event: RecordedEvent, payload: object = None, data_text: str | None = None
) -> tuple[Change, ...]:
    """What ``event`` changes, from its typed ``payload`` (decoded from the event's data when
    the caller has none). A statement's version keeps the body the log stores, as JSON: as
    ``data_text`` (the event's data as the log stores it) when the caller has it."""
    if event.type == "StatementRecorded":
        return (
            recorded(event.event_id, event.data, event.position, event.recorded_at, data_text),
        )
    typed = payload if payload is not None else decode(event)
    match typed:
        case StatementRetracted():
            withdrawn = _withdrawn_at(typed, event.recorded_at)
            return (_ended(typed.statement_id, event, "retracted", withdrawn),)
        case StatementCorrected():
            corrected_at = _corrected_at(typed)
            return (
                _ended(typed.statement_id, event, "corrected", corrected_at),
                Opened(
                    event.event_id,
                    typed.statement_id,
                    event.data["statement"],
                    event.position,
                    event.recorded_at,
                    corrected_at,
                ),
            )
        case DocumentRegistered():
            return (Registered(documents, document_row(typed, event)),)
        case ActorRegistered():
            return (Registered(actors, actor_row(typed, event)),)
        case ClaimRegistered():
            entries = search.claim_entries(typed.key, typed.propositions)
            return (Registered(claims, claim_row(typed, event), entries),)
        case StoryRegistered():
            return (Registered(stories, story_row(typed, event), story_claims=typed.claims),)
    return ()


def recorded(
    event_id: uuid.UUID,
    body: Mapping[str, Any],
    position: int,
    recorded_at: datetime,
    body_text: str | None = None,
) -> Opened:
    """A recorded statement's first version: its event id is the version's and the statement's."""
    return Opened(event_id, event_id, body, position, recorded_at, body_text=body_text)


def _ended(
    statement_id: uuid.UUID, event: RecordedEvent, ended_by: str, withdrawn_at: datetime | None
) -> Ended:
    return Ended(statement_id, event.position, event.recorded_at, ended_by, withdrawn_at)


def _withdrawn_at(retraction: StatementRetracted, recorded_at: datetime) -> datetime | None:
    """Until when, on the said axis, a retracted version still stood: when its source withdrew
    the text (by default when the retraction was recorded); None for the ledger's own error."""
    if retraction.basis != RetractionBasis.SOURCE_CHANGED:
        return None
    given = retraction.withdrawn_at
    return recorded_at if given is None else given.astimezone(UTC)


def _corrected_at(correction: StatementCorrected) -> datetime | None:
    """When the source changed the text; None when the new reading replaces the old from the
    start (``ledger_error``, and corrections stored before ``corrected_at`` existed)."""
    given = correction.corrected_at
    if correction.basis != RetractionBasis.SOURCE_CHANGED or given is None:
        return None
    return given.astimezone(UTC)


def document_row(payload: DocumentRegistered, event: RecordedEvent) -> dict[str, Any]:
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


def actor_row(payload: ActorRegistered, event: RecordedEvent) -> dict[str, Any]:
    row = _registration_row(payload, event, "name", "kind")
    return {**row, "aliases": list(payload.aliases) or None}


def claim_row(payload: ClaimRegistered, event: RecordedEvent) -> dict[str, Any]:
    """A new claim's row: nothing stated yet."""
    row = _registration_row(payload, event, "key", "propositions", "story")
    nothing = derive_claim([])
    return {**row, "state": nothing.state, "summary": nothing.summary}


def story_row(payload: StoryRegistered, event: RecordedEvent) -> dict[str, Any]:
    return {
        "key": payload.key,
        "title": payload.title,
        "description": payload.description,
        **recorded_fields(event),
    }


def recorded_fields(event: RecordedEvent) -> dict[str, Any]:
    """Where the log recorded what a row holds: its position and time."""
    return {"position": event.position, "recorded_at": event.recorded_at}


def _registration_row(payload: Any, event: RecordedEvent, *fields: str) -> dict[str, Any]:
    row = {name: getattr(payload, name) for name in ("key", *fields) if hasattr(payload, name)}
    return {**row, "note": payload.note, **recorded_fields(event)}
