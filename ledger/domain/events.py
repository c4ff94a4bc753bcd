"""Domain events: immutable, typed, named for what happened. Their payloads are the event data."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import Field, ValidationError, model_validator

from ledger.domain.model import (
    Actor,
    Claim,
    Document,
    Frozen,
    SOURCE_FIELDS,
    RetractionBasis,
    Statement,
    Story,
)
from ledger.domain.text import STORED
from ledger.errors import InvalidEvent


class DocumentRegistered(Document):
    """A document was registered (its fields: ``Document``)."""


class ActorRegistered(Actor):
    """An actor was registered (its fields: ``Actor``)."""


class StoryRegistered(Story):
    """A story was registered (its fields: ``Story``)."""


class ClaimRegistered(Claim):
    """A claim was registered (its fields: ``Claim``, which reads the first shape too)."""


Registration = TypeVar(
    "Registration", DocumentRegistered, ActorRegistered, ClaimRegistered, StoryRegistered
)


def registered(
    event_type: type[Registration], value: Document | Actor | Claim | Story
) -> Registration:
    """The event registering ``value``, which is valid already: no second validation."""
    if isinstance(value, event_type):
        return value
    fields = {name: getattr(value, name) for name in event_type.model_fields}
    return event_type.model_construct(value.model_fields_set, **fields)


class StatementRecorded(Statement):
    """An actor's stance on a claim, as read in a document."""

    @classmethod
    def of(cls, statement: Statement) -> StatementRecorded:
        """The event recording ``statement``, which is valid already: no second validation."""
        fields = {name: getattr(statement, name) for name in Statement.model_fields}
        return cls.model_construct(set(Statement.model_fields), **fields)


class StatementRetracted(Frozen):
    """A recorded statement stops counting from here on; the original stays in the log."""

    statement_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    withdrawn_at: datetime | None = Field(
        default=None,
        description="source_changed only: when the source withdrew its text (by default, when "
        "the retraction is recorded). On the said axis the statement stands until then.",
    )

    @model_validator(mode="after")
    def _withdrawal_needs_source_change(self) -> StatementRetracted:
        if self.withdrawn_at is not None:
            if self.basis is not RetractionBasis.SOURCE_CHANGED:
                raise ValueError("withdrawn_at is only for a source_changed retraction")
            if self.withdrawn_at.tzinfo is None:
                raise ValueError("withdrawn_at needs a UTC offset")
        return self


class StatementCorrected(Frozen):
    """A recorded statement is replaced by a corrected reading.

    ``source_changed``: the source published a changed text at ``corrected_at``; on the said
    axis the old reading stands until then and the new one from then on. ``ledger_error``: the
    ledger misread the source; the new reading replaces the old from the start. Corrections
    stored before ``corrected_at`` existed carry none and keep that second meaning, whatever
    their basis: stored events never change, nor does how they read.
    """

    statement_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    statement: Statement
    corrected_at: datetime | None = Field(
        default=None,
        description="source_changed only: when the source published the changed text, as the "
        "source says (the ledger writes its recording time when none is given).",
    )

    @model_validator(mode="after")
    def _correction_time_needs_source_change(self) -> StatementCorrected:
        if self.corrected_at is not None:
            if self.basis is not RetractionBasis.SOURCE_CHANGED:
                raise ValueError("corrected_at is only for a source_changed correction")
            if self.corrected_at.tzinfo is None:
                raise ValueError("corrected_at needs a UTC offset")
        return self


DomainEvent = (
    DocumentRegistered
    | ActorRegistered
    | ClaimRegistered
    | StoryRegistered
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
        StoryRegistered,
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


def story_stream(key: str) -> str:
    return f"story:{key}"


def event_data(payload: DomainEvent) -> dict[str, Any]:
    """The event data ``payload`` is stored as: its fields as JSON values."""
    return payload.model_dump(mode="json", exclude=_unset(payload))


def _unset(payload: DomainEvent) -> set[str]:
    """Optional fields added after events of this type were first written are left out when
    unset, so events that do not use them keep the shape (and hash) they always had."""
    if isinstance(payload, StatementRetracted) and payload.withdrawn_at is None:
        return {"withdrawn_at"}
    if isinstance(payload, StatementCorrected) and payload.corrected_at is None:
        return {"corrected_at"}
    if isinstance(payload, DocumentRegistered):
        return {name for name in SOURCE_FIELDS if getattr(payload, name) is None}
    if isinstance(payload, ActorRegistered) and not payload.aliases:
        return {"aliases"}
    return set()


class Envelope(Protocol):
    """What decoding needs of a stored event: its type's name and its data."""

    @property
    def type(self) -> str: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


def decode(event: Envelope) -> DomainEvent | None:
    """The domain event a stored event carries, or None for a type this code does not know.

    An event of a known type whose data does not fit it is refused: projections could not fold it.
    """
    cls = EVENT_TYPES.get(event.type)
    if cls is None:
        return None
    try:
        return cls.model_validate(event.data, context={STORED: True})  # kept as written
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "data"
        raise InvalidEvent(f"data.{where}", f"not a valid {event.type}: {first['msg']}") from None
