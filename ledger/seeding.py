"""Loading the seed story: the five texts and the data file, through the ordinary append path.

Seeding is a historical import. Each entry is recorded at the time its document says the ledger
read it (24-26 October 2024), so the recorded-time axis of the demo tells the story as it
unfolded. Recorded time never runs backwards: into a ledger that already holds later events,
seeded events are recorded at the log's latest time instead.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    StoryRegistered,
)
from ledger.domain.model import (
    DocumentId,
    Frozen,
    Key,
    QuoteIn,
    SaidAt,
    SourceAnchor,
    SourceAnchorIn,
    Stance,
    Statement,
    StatementDraft,
    TextPositionSelector,
    TextQuoteSelector,
)
from ledger.domain.validation import DocumentFacts, anchored_statement, validate_statement
from ledger.errors import InvalidEvent
from ledger.service import Ledger

SEED_NAMESPACE = uuid.UUID("2b0f1c55-3f0a-4c43-8d1e-4a0f7b6d2e91")


class SeedDocument(Frozen):
    id: DocumentId
    publisher: Key | None = None
    language: str
    dated: date | None = None
    recorded_at: datetime | None = None  # a historical import's reading time; else now
    note: str | None = None


class SeedActor(Frozen):
    key: Key
    name: str
    kind: str
    note: str | None = None


class SeedClaim(Frozen):
    """A claim: ``propositions`` by language, or the seed's first shape (English and German)."""

    key: Key
    propositions: dict[str, str] | None = None
    proposition_en: str | None = None
    proposition_de: str | None = None
    note: str | None = None

    @property
    def first_shape(self) -> bool:
        return self.propositions is None

    def event(self, story: str | None) -> ClaimRegistered:
        fields = self.model_dump(exclude_none=True)
        return ClaimRegistered.model_validate({**fields, "story": story})


class SeedStoryInfo(Frozen):
    key: Key
    title: str
    description: str | None = None


class SeedStatement(Frozen):
    key: Key
    document: DocumentId
    actor: Key
    claim: Key
    stance: Stance
    conduit: list[Key]
    said_at: SaidAt
    quote: QuoteIn
    position: TextPositionSelector | None = None
    occurrence: int | None = None
    relays: Key | None = None
    note: str | None = None

    def statement(self) -> Statement | StatementDraft:
        """The full statement when the file anchors the quote, else a draft to anchor."""
        fields: dict[str, Any] = {
            "claim": self.claim,
            "actor": self.actor,
            "stance": self.stance,
            "conduit": self.conduit,
            "said_at": self.said_at,
            "relays": self.relays,
            "note": self.note,
        }
        if self.position is not None and self.quote.prefix is not None and self.quote.suffix is not None:
            quote = TextQuoteSelector(**self.quote.model_dump())
            return Statement(
                **fields,
                source=SourceAnchor(document=self.document, quote=quote, position=self.position),
            )
        source = SourceAnchorIn(
            document=self.document,
            quote=self.quote,
            position=self.position,
            occurrence=self.occurrence,
        )
        return StatementDraft(**fields, source=source)


class SeedFile(Frozen):
    story: SeedStoryInfo | None = None
    documents: list[SeedDocument]
    actors: list[SeedActor]
    claims: list[SeedClaim]
    statements: list[SeedStatement]


@dataclass(frozen=True)
class SeedStory:
    """The parsed data file with each document's text read from beside it."""

    data: SeedFile
    texts: dict[str, bytes]

    def document_event(self, document: SeedDocument) -> DocumentRegistered:
        raw = self.texts[document.id]
        return DocumentRegistered(
            document_id=document.id,
            publisher=document.publisher,
            language=document.language,
            dated=document.dated,
            sha256=hashlib.sha256(raw).hexdigest(),
            text=raw.decode("utf-8"),
            note=document.note,
        )


@dataclass
class SeedReport:
    """What a seed run appended, and what it found already there."""

    appended: Counter[str] = field(default_factory=Counter)
    present: Counter[str] = field(default_factory=Counter)
    statements_per_document: Counter[str] = field(default_factory=Counter)
    statements_per_actor: Counter[str] = field(default_factory=Counter)

    @property
    def total_appended(self) -> int:
        return sum(self.appended.values())


def load_story(path: Path) -> SeedStory:
    """Parse and check the whole seed file before anything is written."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = SeedFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as error:
        raise InvalidEvent(str(path), f"cannot read the seed file: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidEvent(where, first["msg"]) from None
    texts = {doc.id: _read_text(path.parent / doc.id) for doc in data.documents}
    story = SeedStory(data, texts)
    _check_statements(story)
    return story


def _read_text(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidEvent(path.name, f"cannot read the document: {error}") from None


class StoryRegistry:
    """The registrations the seed file itself will make, for checking before writing."""

    def __init__(self, story: SeedStory) -> None:
        self.actors = {actor.key for actor in story.data.actors}
        self.claims = {claim.key for claim in story.data.claims}
        self.documents = {
            doc.id: DocumentFacts(
                doc.id, doc.publisher, story.texts[doc.id].decode("utf-8"), dated=doc.dated
            )
            for doc in story.data.documents
        }

    def document(self, document_id: str) -> DocumentFacts | None:
        return self.documents.get(document_id)

    def has_actor(self, key: str) -> bool:
        return key in self.actors

    def has_claim(self, key: str) -> bool:
        return key in self.claims


def _check_statements(story: SeedStory) -> None:
    registry = StoryRegistry(story)
    for index, entry in enumerate(story.data.statements):
        try:
            validate_statement(anchored_statement(entry.statement(), registry), registry)
        except InvalidEvent as error:
            raise InvalidEvent(
                f"statements[{index}] ({entry.key}).{error.field}", error.message
            ) from None


class SeedClock:
    """The recording clock of a historical import: it says what the seeder sets."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


Progress = Callable[[str], None]


def seed(
    ledger: Ledger,
    story: SeedStory,
    clock: SeedClock | None,
    progress: Progress = lambda _: None,
) -> SeedReport:
    """Register the story, actors, claims and documents, then record every statement;
    idempotent. With a ``clock``, each document is recorded at its ``recorded_at`` (a
    historical import, like the seed); without one, everything is recorded now."""
    return _Seeder(ledger, story, clock).run(progress)


class _Seeder:
    """One seed run: every entry gets a stable event id, so a second run appends nothing.

    A file whose claims are in the first shape (the seed) writes them byte for byte as the
    ledger always has, and registers its story last, gathering them; any other file registers
    its story first and each claim names it.
    """

    def __init__(self, ledger: Ledger, story: SeedStory, clock: SeedClock | None) -> None:
        self.ledger, self.story, self.clock = ledger, story, clock
        self.report = SeedReport()
        data = story.data
        self.first_shape = all(claim.first_shape for claim in data.claims)
        self.scope = "" if self.first_shape or data.story is None else f"{data.story.key}/"

    def run(self, progress: Progress) -> SeedReport:
        data = self.story.data
        self._set_clock(min(_reading_times(data.documents), default=None))
        if data.story is not None and not self.first_shape:
            self._write_story([])
        for actor in data.actors:
            self._write(
                "actors",
                actor.key,
                self.ledger.register_actor,
                ActorRegistered(**actor.model_dump()),
            )
        story_key = None if data.story is None or self.first_shape else data.story.key
        for claim in data.claims:
            self._write(
                f"{self.scope}claims",
                claim.key,
                self.ledger.register_claim,
                claim.event(story_key),
                first_shape=self.first_shape,
            )
        progress(f"registered {len(data.actors)} actors and {len(data.claims)} claims")
        for document in data.documents:
            self._set_clock(document.recorded_at)
            self._seed_document(document)
            count = self.report.statements_per_document[document.id]
            progress(f"read {document.id}: {count} statements")
        if data.story is not None and self.first_shape:
            self._write_story([claim.key for claim in data.claims])
        if data.story is not None:
            progress(f"story {data.story.key}: {len(data.claims)} claims")
        return self.report

    def _set_clock(self, instant: datetime | None) -> None:
        if self.clock is not None and instant is not None:
            self.clock.now = instant.astimezone(UTC)

    def _write_story(self, claims: list[str]) -> None:
        info = self.story.data.story
        assert info is not None
        event = StoryRegistered(**info.model_dump(), claims=claims)
        self._write("stories", info.key, self.ledger.register_story, event)

    def _seed_document(self, document: SeedDocument) -> None:
        payload = self.story.document_event(document)
        self._write("documents", document.id, self.ledger.register_document, payload)
        for entry in self.story.data.statements:
            if entry.document == document.id:
                self._write(
                    f"{self.scope}statements",
                    entry.key,
                    self.ledger.record_statement,
                    entry.statement(),
                )
                self.report.statements_per_document[entry.document] += 1
                self.report.statements_per_actor[entry.actor] += 1

    def _write(
        self, kind: str, key: str, write: Callable[..., Any], payload: Any, **options: Any
    ) -> None:
        event_id = uuid.uuid5(SEED_NAMESPACE, f"{kind}:{key}")
        already = self.ledger.store.get_event(event_id) is not None
        write(payload, event_id=event_id, metadata={"source": "seed", "seed_key": key}, **options)
        counted = kind.rpartition("/")[2]
        (self.report.present if already else self.report.appended)[counted] += 1


def _reading_times(documents: list[SeedDocument]) -> list[datetime]:
    return [doc.recorded_at for doc in documents if doc.recorded_at is not None]
