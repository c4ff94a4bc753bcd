"""The read models: what the read side returns and the API sends, each declared once.

Frozen pydantic models, so the HTTP layer uses them as its response models and the OpenAPI
document describes them. Their fields are the views' fields: nothing beyond them is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from functools import lru_cache, partial
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin

import orjson
from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.model import SaidAt, SourceAnchor, TextPositionSelector, TextQuoteSelector


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


def optional(description: str) -> Any:
    """A field a view may leave out: null unless given (``exclude_unset`` leaves it out)."""
    return Field(default=None, description=description)


class PointInTimeView(View):
    as_of: str | None
    known_at: str | None


class StanceView(View):
    """An actor's standing stance, with its conduit chain and the quote it rests on."""

    actor: str
    stance: str
    statement_id: str
    version_id: str
    said_at: SaidAt
    said_key: str
    said_key_basis: str
    conduit: list[str]
    relays: str | None
    relayed_by: list[str]
    source: SourceAnchor
    note: str | None
    position: int
    recorded_at: str
    corrected: bool


class ClaimView(View):
    """A claim's state (asserted, denied, contested, ...) and every actor's stance on it."""

    key: str
    propositions: dict[str, str] = Field(description="The proposition by language (BCP 47).")
    proposition_en: str | None = Field(description="propositions.en (the first API's field).")
    proposition_de: str | None = Field(description="propositions.de (the first API's field).")
    proposition: str | None = optional(
        "The proposition in the language Accept-Language prefers, else the claim's "
        "first language (propositions sorted by tag)."
    )
    proposition_language: str | None = optional(
        "The language of `proposition` (also in Content-Language)."
    )
    story: str | None
    note: str | None
    registered_at: str
    state: str
    asserted_by: list[str]
    denied_by: list[str]
    declined_by: list[str]
    questioned_by: list[str]
    reported_by: list[str]
    relayed_by: dict[str, list[str]]
    statements: int
    first_said_at: str | None
    first_recorded_at: str | None
    last_changed_position: int | None
    stances: list[StanceView]
    point_in_time: PointInTimeView


class StatementEntry(View):
    """One version of a statement and whether it still stands."""

    statement_id: str
    version_id: str
    claim: str
    actor: str
    stance: str
    relays: str | None
    conduit: list[str]
    said_at: SaidAt
    said_key: str
    source: SourceAnchor
    note: str | None
    position: int
    recorded_at: str
    status: str
    ended_position: int | None
    withdrawn_at: str | None = optional(
        "When the source withdrew this reading or published a corrected one "
        "(a source_changed retraction or correction), as the source says."
    )
    said_key_basis: str | None = optional(
        "Why it sits where it does on the said axis: said_at, document_date, "
        "recorded_at, or corrected_at (a reading its source published in a correction)."
    )
    ended_at: str | None = optional("When the ledger recorded the retraction or correction.")


class ClaimHistory(View):
    claim: str
    statements: list[StatementEntry]


class StatementView(View):
    """A statement with every version, oldest first."""

    statement_id: str
    status: str
    current: StatementEntry
    versions: list[StatementEntry]


class ActorSummary(View):
    key: str
    name: str
    kind: str
    note: str | None
    registered_at: str
    statements: int
    aliases: list[str] = Field(default_factory=list)


class ActorView(View):
    """An actor and everything it said, about which claims."""

    key: str
    name: str
    kind: str
    note: str | None
    registered_at: str
    claims: list[str]
    statements: list[StatementEntry]
    aliases: list[str] = Field(default_factory=list)


class OriginalSummary(View):
    media_type: str
    sha256: str = Field(description="Of the original's bytes.")
    length: int


class ExtractorView(View):
    name: str
    version: str


class DocumentFields(View):
    """What every view of a document starts with."""

    document_id: str
    publisher: str | None
    language: str
    dated: str | None
    sha256: str
    note: str | None
    registered_at: str
    title: str | None = None
    author: str | None = None
    published: str | None = optional("A date or an instant.")
    url: str | None = None
    original: OriginalSummary | None = optional(
        "The HTML or PDF the text was extracted from (GET …/original serves it)."
    )
    extractor: ExtractorView | None = None


class DocumentSummary(DocumentFields):
    statements: int
    position: int = Field(description="The order it was registered in.")


class Selectors(View):
    quote: TextQuoteSelector
    position: TextPositionSelector


class AnchorOccurrence(Selectors):
    """One occurrence: its number (1-based, text order) and its W3C selectors."""

    occurrence: int
    selectors: list[dict[str, Any]]


class AnchorAnswer(View):
    """A page of the occurrences of the exact text in the document (at most 100), how many
    there are (counted up to 10,000, fewer for long quotes), and the ``after`` of the next
    page."""

    document: str
    exact: str
    context: int = Field(description="Code points of prefix and suffix, fewer at the edges.")
    occurrences: list[AnchorOccurrence]
    total: int = Field(
        description="Occurrences counted: at most 10,000, and 5,000,000 code points of quote "
        "(1,000 of a 5,000-code-point quote); see total_complete"
    )
    total_complete: bool = Field(
        description="false when counting stopped at its cap: there are that many or more"
    )
    next: int | None = Field(
        description="Send as ``after`` for the next page; null on the last page"
    )


class StorySummary(View):
    key: str
    title: str
    description: str | None
    registered_at: str
    claims: int


class Span(View):
    from_: str = Field(alias="from")
    to: str


class StoryExtent(View):
    said: Span | None
    recorded: Span | None


class StoryActor(View):
    key: str
    name: str
    kind: str
    speaker: bool
    note: str | None
    registered_at: str


class StoryView(View):
    """A story: its claims now, the actors and documents of their statements, its extent."""

    key: str
    title: str
    description: str | None
    registered_at: str
    claims: list[ClaimView]
    actors: list[StoryActor]
    documents: list[dict[str, Any]]
    extent: StoryExtent


class DocumentView(DocumentFields):
    """A document's text and hash, and every quote anchor into it."""

    text: str
    anchors: list[StatementEntry]
    position: int = Field(description="The order it was registered in.")


class ClaimStateChange(View):
    claim: str
    before: str
    after: str
    changed: bool


class ActorStanceChange(View):
    actor: str
    before: str | None
    after: str | None


class ReplayStep(View):
    step: int
    at: str
    type: str
    position: int
    event_id: str
    statement: StatementEntry
    claim_state: ClaimStateChange
    actor_stance: ActorStanceChange
    reason: str | None = optional("A retraction's or correction's reason.")
    basis: str | None = optional("A retraction's or correction's basis.")
    changed_at: str | None = optional(
        "When the source withdrew or corrected its text, as the source says "
        "(source_changed only): the source's date, shown first."
    )
    recorded_at: str | None = optional(
        "When the ledger recorded the retraction or correction: shown second."
    )
    replaces: StatementEntry | None = optional(
        "A correction's old reading (``statement`` is the new one)."
    )


class Replay(View):
    """The story between two instants, step by step, on the said or the recorded axis."""

    axis: str
    from_: str = Field(alias="from")
    to: str
    claim: str | None
    steps: list[ReplayStep]
    story: str | None = optional("The story asked for, if one was.")


# Trusted construction: the read side builds views from data the ledger validated when it was
# appended (stored JSON, projection rows). Nothing is validated again (SaidAt's check among the
# rest): each view type gets one builder, generated once from its fields, that copies the data
# into a copy of a blank instance of the model (``model_copy(update=...)``, pydantic's public
# way to set fields without validating) and builds its nested models the same way. Measured
# on 100k views: ``model_construct`` (which looks up each field's aliases and default on every
# call) costs about 1.3 times this, and pydantic-core's validation 1 to 1.5 times.

Convert = Callable[[Any], Any]
V = TypeVar("V", bound=BaseModel)


def trusted(cls: type[V], data: Any) -> V:
    """``cls`` from already-valid ``data`` (keys by alias), nested models included, unvalidated.

    The fields set are those ``data`` held, so ``exclude_unset`` dumps what was given.
    """
    return _builder(cls)(data)  # type: ignore[no-any-return]


@lru_cache(maxsize=None)
def _builder(cls: type[BaseModel]) -> Convert:
    """Generated straight-line code: each field of ``data`` converted and put in ``values``,
    then a copy of the blank instance updated with them (its other fields keep their defaults,
    in declaration order, and the fields set are the ones given)."""
    names: dict[str, Any] = {"cls": cls, "copy": _blank(cls).model_copy}
    lines = []
    for number, (name, field) in enumerate(cls.model_fields.items()):
        key, value = field.alias or name, f"data[{(field.alias or name)!r}]"
        convert = _converter(field.annotation)
        if convert is not None:
            names[f"convert{number}"] = convert
            value = f"(None if (v := {value}) is None else convert{number}(v))"
        if field.is_required():
            lines.append(f"    values[{name!r}] = {value}")
        else:
            lines += [f"    if {key!r} in data:", f"        values[{name!r}] = {value}"]
    source = "\n".join(
        [
            "def build(data):",
            "    if type(data) is cls:",
            "        return data",
            "    values = {}",
            *lines,
            "    return copy(update=values)",
        ]
    )
    exec(compile(source, f"<trusted {cls.__name__}>", "exec"), names)  # noqa: S102
    return names["build"]  # type: ignore[no-any-return]


def _blank(cls: type[BaseModel]) -> BaseModel:
    """An instance of ``cls`` with no field set: defaults where the model has them, None for
    the required fields (every builder's copy sets those)."""
    fields = {
        name: None if field.is_required() else field.get_default(call_default_factory=True)
        for name, field in cls.model_fields.items()
    }
    return cls.model_construct(set(), **fields)


def _converter(annotation: Any) -> Convert | None:
    """How to turn a stored JSON value into ``annotation`` without validating (None: as is)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _builder(annotation)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, UnionType):
        inner = [_converter(arg) for arg in args if arg is not type(None)]
        return inner[0] if len(inner) == 1 else None
    if origin is list and args:
        item = _converter(args[0])
        return None if item is None else partial(_each, item)
    return None


def _each(convert: Convert, values: list[Any]) -> list[Any]:
    return [convert(value) for value in values]


def to_json(value: Any) -> bytes:
    """Compact UTF-8 JSON of views (and lists and dicts holding them), by alias, as FastAPI writes.

    orjson writes the models' fields (``__dict__`` holds exactly them, in declaration order:
    views ignore extra keys and have no computed fields), which costs a twentieth of
    pydantic-core's serializer on the same views; the bytes are the same.
    """
    return orjson.dumps(value, default=_fields)


def _fields(value: Any) -> dict[str, Any]:
    if not isinstance(value, BaseModel):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    renamed = _aliases(type(value))
    if not renamed:
        return value.__dict__
    return {renamed.get(name, name): field for name, field in value.__dict__.items()}


@lru_cache(maxsize=None)
def _aliases(cls: type[BaseModel]) -> dict[str, str]:
    return {name: field.alias for name, field in cls.model_fields.items() if field.alias}
