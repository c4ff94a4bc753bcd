"""Domain events: immutable, typed, versioned, named for what happened; their fields are the data.

An event is built once from a command that is valid already (``Event.of``). Its data is its
fields as JSON, except the optional fields a later version added, left out while unset
(``Event.history``), so that events written before them keep their bytes and hashes. Data of an
older shape is read through the upcaster table (``UPCASTERS``), when an event is validated.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, Protocol, Self, TypeVar

from pydantic import Field, ValidationError, model_validator

from ledger.domain.model import (
    Actor,
    Claim,
    Document,
    Frozen,
    SOURCE_FIELDS,
    RetractionBasis,
    Statement,
    propositions_by_language,
    Story,
)
from ledger.domain.text import STORED
from ledger.errors import InvalidEvent


Upcast = Callable[[dict[str, Any]], dict[str, Any]]


class Upcaster(NamedTuple):
    """Reads an event's data written in an older version's shape as the current shape.

    Stored events carry no version number: ``upcast`` recognizes its shape and returns any
    other data unchanged. Stored data is never rewritten, only read anew."""

    from_version: int
    upcast: Upcast


class Event(Frozen):
    """The base of every domain event: frozen, strict, versioned; its fields are its data.

    ``history`` names, for each version after the first, the optional fields it added. They
    are left out of the data while unset, so that events which do not use them keep the shape
    (and the hash) they had before. Data in an older shape is read through ``UPCASTERS``.
    """

    history: ClassVar[Mapping[int, tuple[str, ...]]] = {}

    @classmethod
    def version(cls) -> int:
        """The shape this code writes."""
        return max(cls.history, default=1)

    @classmethod
    def of(cls, command: Frozen) -> Self:
        """The event ``command`` asks for, built once: ``command`` is valid already, so its
        fields are not validated again."""
        if isinstance(command, cls):
            return command
        fields = {name: getattr(command, name) for name in cls.model_fields}
        return cls.model_construct(command.model_fields_set & fields.keys(), **fields)

    def data(self) -> dict[str, Any]:
        """The event data this event is stored as: its fields as JSON values."""
        return self.model_dump(mode="json", exclude=self._unset_additions())

    def _unset_additions(self) -> set[str]:
        return {
            name
            for added in self.history.values()
            for name in added
            if getattr(self, name) in _UNSET
        }

    @model_validator(mode="before")
    @classmethod
    def _upcast(cls, data: Any) -> Any:
        return upcast(cls.__name__, data) if isinstance(data, dict) else data


_UNSET: tuple[Any, ...] = (None, [])


class DocumentRegistered(Event, Document):
    """A document was registered (its fields: ``Document``)."""

    history: ClassVar[Mapping[int, tuple[str, ...]]] = {2: SOURCE_FIELDS}


class ActorRegistered(Event, Actor):
    """An actor was registered (its fields: ``Actor``)."""

    history: ClassVar[Mapping[int, tuple[str, ...]]] = {2: ("aliases",)}


class StoryRegistered(Event, Story):
    """A story was registered (its fields: ``Story``)."""


class ClaimRegistered(Event, Claim):
    """A claim was registered (its fields: ``Claim``); version 1 wrote ``proposition_en`` and
    ``proposition_de``, read through ``UPCASTERS``."""

    history: ClassVar[Mapping[int, tuple[str, ...]]] = {2: ()}  # ``propositions``, ``story``


UPCASTERS: Mapping[str, tuple[Upcaster, ...]] = {
    "ClaimRegistered": (Upcaster(1, propositions_by_language),),
}
"""Per event type, the readers of its older shapes, oldest first."""


def upcast(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` of an ``event_type`` event in the current shape, whatever version wrote it."""
    for upcaster in UPCASTERS.get(event_type, ()):
        data = upcaster.upcast(data)
    return data


Registration = TypeVar(
    "Registration", DocumentRegistered, ActorRegistered, ClaimRegistered, StoryRegistered
)


def registered(
    event_type: type[Registration], value: Document | Actor | Claim | Story
) -> Registration:
    """The event registering ``value`` (``Event.of``, as the service calls it)."""
    return event_type.of(value)


class StatementRecorded(Event, Statement):
    """An actor's stance on a claim, as read in a document."""


class _Amendment(Event):
    """A change to a recorded statement: which, why, and whose change it is.

    ``source_time`` names the field giving when the source changed its text: it is for a
    ``source_changed`` amendment only, and an instant with its UTC offset.
    """

    source_time: ClassVar[str]
    kind: ClassVar[str]

    statement_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis

    @model_validator(mode="after")
    def _source_time_needs_source_change(self) -> Self:
        at: datetime | None = getattr(self, self.source_time)
        if at is None:
            return self
        if self.basis is not RetractionBasis.SOURCE_CHANGED:
            raise ValueError(f"{self.source_time} is only for a source_changed {self.kind}")
        if at.tzinfo is None:
            raise ValueError(f"{self.source_time} needs a UTC offset")
        return self


class StatementRetracted(_Amendment):
    """A recorded statement stops counting from here on; the original stays in the log."""

    source_time: ClassVar[str] = "withdrawn_at"
    kind: ClassVar[str] = "retraction"
    history: ClassVar[Mapping[int, tuple[str, ...]]] = {2: ("withdrawn_at",)}

    withdrawn_at: datetime | None = Field(
        default=None,
        description="source_changed only: when the source withdrew its text (by default, when "
        "the retraction is recorded). On the said axis the statement stands until then.",
    )


class StatementCorrected(_Amendment):
    """A recorded statement is replaced by a corrected reading.

    ``source_changed``: the source published a changed text at ``corrected_at``; on the said
    axis the old reading stands until then and the new one from then on. ``ledger_error``: the
    ledger misread the source; the new reading replaces the old from the start. Corrections
    stored before ``corrected_at`` existed carry none and keep that second meaning, whatever
    their basis: stored events never change, nor does how they read.
    """

    source_time: ClassVar[str] = "corrected_at"
    kind: ClassVar[str] = "correction"
    history: ClassVar[Mapping[int, tuple[str, ...]]] = {2: ("corrected_at",)}

    statement: Statement
    corrected_at: datetime | None = Field(
        default=None,
        description="source_changed only: when the source published the changed text, as the "
        "source says (the ledger writes its recording time when none is given).",
    )


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
    """The event data ``payload`` is stored as (``Event.data``, as the service calls it)."""
    return payload.data()


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
