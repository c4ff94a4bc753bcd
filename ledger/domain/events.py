"""Domain events: immutable, typed, named for what happened. Their payloads are the event data."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol

from pydantic import Field, ValidationError, model_validator

from ledger.domain.model import (
    ActorKind,
    DocumentId,
    Frozen,
    Key,
    Propositions,
    RetractionBasis,
    ShortText,
    Statement,
)
from ledger.errors import InvalidEvent


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


class StoryRegistered(Frozen):
    """A story: the claims a newsroom follows together, under a key and a title.

    ``claims`` gathers claims registered before the story (the seed's, written in the first
    shape of ClaimRegistered); claims registered later name their story themselves.
    """

    key: Key
    title: str = Field(min_length=1, max_length=300)
    description: ShortText | None = None
    claims: list[Key] = Field(default_factory=list, max_length=10_000)


class ClaimRegistered(Frozen):
    """A proposition the statements are about, stated neutrally, in one language or more.

    Events written before stories existed carry ``proposition_en`` and ``proposition_de``; they
    are read as the language map (stored data is never rewritten, only read anew).
    """

    key: Key
    propositions: Propositions
    story: Key | None = None
    note: ShortText | None = None

    @model_validator(mode="before")
    @classmethod
    def _upcast_first_shape(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "propositions" in data:
            return data
        if "proposition_en" not in data and "proposition_de" not in data:
            return data
        data = dict(data)
        by_language = {
            language: data.pop(f"proposition_{language}")
            for language in ("en", "de")
            if f"proposition_{language}" in data
        }
        return {**data, "propositions": by_language}

    def first_shape(self) -> dict[str, Any] | None:
        """The data as the ledger first wrote claims, if this claim fits that shape, else None.

        The seed writes its claims this way so that its events stay byte-identical across
        versions and a seed re-run over an older ledger appends nothing.
        """
        if self.story is not None or set(self.propositions) != {"en", "de"}:
            return None
        return {
            "key": self.key,
            "proposition_en": self.propositions["en"],
            "proposition_de": self.propositions["de"],
            "note": self.note,
        }


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
    """A recorded statement is replaced by a corrected reading from here on."""

    statement_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    statement: Statement


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
        return cls.model_validate(event.data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "data"
        raise InvalidEvent(f"data.{where}", f"not a valid {event.type}: {first['msg']}") from None
