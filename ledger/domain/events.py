"""Domain events: immutable, typed, named for what happened. Their payloads are the event data."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import Field, ValidationError, model_validator

from ledger.domain.model import (
    ActorKind,
    DocumentId,
    Frozen,
    Key,
    RetractionBasis,
    ShortText,
    Statement,
)
from ledger.errors import InvalidEvent
from ledger.store import NewEvent, RecordedEvent


class DocumentRegistered(Frozen):
    """A source text entered the ledger; its text is kept whole so every quote can be checked."""

    document_id: DocumentId
    publisher: Key | None = None
    language: str = Field(min_length=2, max_length=8)
    dated: date | None = None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    text: str = Field(min_length=1, max_length=1_000_000)
    note: ShortText | None = None

    @model_validator(mode="after")
    def _hash_matches_text(self) -> DocumentRegistered:
        if hashlib.sha256(self.text.encode("utf-8")).hexdigest() != self.sha256:
            raise ValueError("sha256 does not match the UTF-8 bytes of text")
        return self


class ActorRegistered(Frozen):
    """Someone who makes or relays statements: an outlet, a person, an organisation, a group."""

    key: Key
    name: str = Field(min_length=1, max_length=200)
    kind: ActorKind
    note: ShortText | None = None


class ClaimRegistered(Frozen):
    """A proposition the statements are about, stated neutrally in English and German."""

    key: Key
    proposition_en: str = Field(min_length=1, max_length=2000)
    proposition_de: str = Field(min_length=1, max_length=2000)
    note: ShortText | None = None


class StatementRecorded(Statement):
    """An actor's stance on a claim, as read in a document."""


class StatementRetracted(Frozen):
    """A recorded statement stops counting from here on; the original stays in the log."""

    statement_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis


class StatementCorrected(Frozen):
    """A recorded statement is replaced by a corrected reading from here on."""

    statement_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    statement: Statement


DomainEvent = (
    DocumentRegistered
    | ActorRegistered
    | ClaimRegistered
    | StatementRecorded
    | StatementRetracted
    | StatementCorrected
)
EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.__name__: cls
    for cls in (
        DocumentRegistered,
        ActorRegistered,
        ClaimRegistered,
        StatementRecorded,
        StatementRetracted,
        StatementCorrected,
    )
}


def document_stream(document_id: str) -> str:
    return f"document:{document_id}"


def actor_stream(key: str) -> str:
    return f"actor:{key}"


def claim_stream(key: str) -> str:
    return f"claim:{key}"


def to_new_event(
    payload: DomainEvent,
    *,
    event_id: uuid.UUID | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> NewEvent:
    """The store-level event carrying ``payload``."""
    data = payload.model_dump(mode="json")
    return NewEvent(
        type=type(payload).__name__,
        data=data,
        metadata=dict(metadata or {}),
        event_id=event_id or uuid.uuid4(),
    )


def decode(event: RecordedEvent) -> DomainEvent | None:
    """The domain event a stored event carries, or None for a type this code does not know.

    An event of a known type whose data does not fit it is refused: projections could not fold it.
    """
    cls = EVENT_TYPES.get(event.type)
    if cls is None:
        return None
    try:
        return cls.model_validate(event.data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "data"
        raise InvalidEvent(f"data.{where}", f"not a valid {event.type}: {first['msg']}") from None
