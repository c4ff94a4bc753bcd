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
from functools import partial
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from ledger.domain.events import (
    ActorRegistered,
    actor_stream,
    document_stream,
    event_data,
    registered,
    ClaimRegistered,
    DocumentRegistered,
    StoryRegistered,
)
from ledger.domain.model import (
    Document,
    DocumentId,
    Frozen,
    Key,
    QuoteIn,
    RetractionBasis,
    SaidAt,
    SourceAnchor,
    SourceAnchorIn,
    SourceTime,
    Stance,
    Statement,
    StatementDraft,
    TextPositionSelector,
    TextQuoteSelector,
    source_instant,
    Url,
)
from ledger.domain.validation import DocumentFacts, anchored_statement, validate_statement
from ledger.errors import InvalidEvent, NotFound, StateConflict
from ledger.registry import MemoryRegistry
from ledger.service import Ledger, WriteOptions
from ledger.sources import TEXT, SourceFields, document_from_original, media_type_of

SEED_NAMESPACE = uuid.UUID("2b0f1c55-3f0a-4c43-8d1e-4a0f7b6d2e91")


class SeedDocument(Frozen):
    id: DocumentId  # the file beside the story file: .html and .pdf are extracted
    publisher: Key | None = None
    language: str
    dated: date | None = None
    recorded_at: datetime | None = None  # a historical import's reading time; else now
    note: str | None = None
    url: Url | None = None


class SeedActor(Frozen):
    key: Key
    name: str
    kind: str
    note: str | None = None
    aliases: list[str] = Field(default_factory=list)


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


class SeedReading(Frozen):
    """A statement's reading as a story file gives it: a statement entry without its key."""

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


class SeedStatement(SeedReading):
    key: Key


class SeedCorrection(Frozen):
    """A correction of an earlier statement: the same fields as ``POST .../corrections``.

    ``corrects`` names a statement of this file by its key, or any statement by its id. Read
    from a key, ``statement`` gives only what changes: the rest is the corrected entry's (its
    ``position`` and ``occurrence`` only when ``document`` and ``quote`` stay the same).
    """

    key: Key
    corrects: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    corrected_at: SourceTime | None = None
    statement: dict[str, Any]


class SeedRetraction(Frozen):
    """A retraction of an earlier statement: the same fields as ``POST .../retractions``."""

    key: Key
    retracts: str = Field(min_length=1, max_length=200)
    reason: str = Field(min_length=1, max_length=2000)
    basis: RetractionBasis
    withdrawn_at: SourceTime | None = None


class SeedFile(Frozen):
    story: SeedStoryInfo | None = None
    documents: list[SeedDocument]
    actors: list[SeedActor]
    claims: list[SeedClaim]
    statements: list[SeedStatement]
    corrections: list[SeedCorrection] = []
    retractions: list[SeedRetraction] = []


@dataclass(frozen=True)
class SeedStory:
    """The parsed data file with each document's bytes read from beside it, and the document
    each becomes (an ``.html`` or ``.pdf`` file's text extracted, its original kept)."""

    data: SeedFile
    texts: dict[str, bytes]
    documents: dict[str, Document] = field(default_factory=dict)

    def statement(self, key: str) -> SeedStatement | None:
        """The file's statement entry with this key, if there is one."""
        return next((entry for entry in self.data.statements if entry.key == key), None)

    def document_event(self, document: SeedDocument) -> DocumentRegistered:
        return registered(DocumentRegistered, self.documents[document.id])


def _document(entry: SeedDocument, raw: bytes) -> Document:
    """The document a story file's entry registers: a text file as it is, HTML or PDF through
    the extractor."""
    media_type = media_type_of(entry.id)
    if media_type != TEXT:
        fields = SourceFields(
            entry.id, entry.language, entry.publisher, entry.dated, entry.url, entry.note
        )
        return document_from_original(fields, media_type, raw, field=entry.id)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEvent(entry.id, "the document is not UTF-8 text") from None
    return Document(
        document_id=entry.id,
        publisher=entry.publisher,
        language=entry.language,
        dated=entry.dated,
        sha256=hashlib.sha256(raw).hexdigest(),
        text=text,
        note=entry.note,
        url=entry.url,
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
    documents = {doc.id: _document(doc, texts[doc.id]) for doc in data.documents}
    story = SeedStory(data, texts, documents)
    _check_statements(story)
    _check_amendments(story)
    return story


def _read_text(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidEvent(path.name, f"cannot read the document: {error}") from None


class StoryRegistry(MemoryRegistry):
    """The registrations the seed file itself will make, for checking before writing."""

    def __init__(self, story: SeedStory) -> None:
        super().__init__(
            documents={
                doc.id: DocumentFacts(
                    doc.id, doc.publisher, story.documents[doc.id].text, dated=doc.dated
                )
                for doc in story.data.documents
            },
            actors={actor.key for actor in story.data.actors},
            claims=dict.fromkeys(claim.key for claim in story.data.claims),
        )


def _check_statements(story: SeedStory) -> None:
    registry = StoryRegistry(story)
    for index, entry in enumerate(story.data.statements):
        try:
            validate_statement(anchored_statement(entry.statement(), registry), registry)
        except InvalidEvent as error:
            raise InvalidEvent(
                f"statements[{index}] ({entry.key}).{error.field}", error.message
            ) from None


def _check_amendments(story: SeedStory) -> None:
    """Every correction and retraction names a statement and fits it, before anything is written."""
    registry = StoryRegistry(story)
    _keys_unique("corrections", [c.key for c in story.data.corrections])
    _keys_unique("retractions", [r.key for r in story.data.retractions])
    for index, correction in enumerate(story.data.corrections):
        where = f"corrections[{index}] ({correction.key})"
        entry = _entry_named(story, correction.corrects, f"{where}.corrects")
        _check_source_time(
            entry, correction.basis, correction.corrected_at, f"{where}.corrected_at"
        )
        reading = corrected_reading(story, correction, where)
        if entry is not None:
            _check_reading(reading, registry, f"{where}.statement")
        _check_reading_said_by(story, reading, correction.corrected_at, f"{where}.corrected_at")
    for index, retraction in enumerate(story.data.retractions):
        where = f"retractions[{index}] ({retraction.key})"
        entry = _entry_named(story, retraction.retracts, f"{where}.retracts")
        _check_source_time(
            entry, retraction.basis, retraction.withdrawn_at, f"{where}.withdrawn_at"
        )


def _keys_unique(kind: str, keys: list[str]) -> None:
    """Each entry's event id derives from its key: two entries with one key would be one."""
    first: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key in first:
            raise InvalidEvent(f"{kind}[{index}] ({key}).key", f"is also {kind}[{first[key]}]'s key")
        first[key] = index


def _check_reading(reading: SeedReading, registry: StoryRegistry, where: str) -> None:
    try:
        validate_statement(anchored_statement(reading.statement(), registry), registry)
    except InvalidEvent as error:
        raise InvalidEvent(f"{where}.{error.field}", error.message) from None


def _entry_named(story: SeedStory, reference: str, where: str) -> SeedStatement | None:
    """The file's statement ``reference`` names by its key; None for a statement id."""
    entry = story.statement(reference)
    if entry is not None:
        return entry
    try:
        uuid.UUID(reference)
    except ValueError:
        raise InvalidEvent(
            where, "names no statement of this file by its key, and is not a statement id"
        ) from None
    return None


def _check_source_time(
    entry: SeedStatement | None,
    basis: RetractionBasis,
    given: datetime | date | None,
    where: str,
) -> None:
    """What the write path would refuse, found before anything is written."""
    instant = source_instant(given)
    if instant is None:
        return
    if basis is not RetractionBasis.SOURCE_CHANGED:
        raise InvalidEvent(where, "is only for basis source_changed")
    if instant.tzinfo is None:
        raise InvalidEvent(where, "needs a UTC offset, or give a date")
    if instant > datetime.now(UTC):
        raise InvalidEvent(where, "is in the future")
    said = None if entry is None else entry.said_at.start()
    if said is not None and instant < said:
        raise InvalidEvent(where, f"is before the statement was said ({said.date()})")


def _check_reading_said_by(
    story: SeedStory, reading: SeedReading, given: datetime | date | None, where: str
) -> None:
    """A source corrects with a text it has printed: the new reading is said (by its own date,
    else its document's) no later than ``corrected_at``, as the write path checks."""
    instant = source_instant(given)
    if instant is None:
        return
    statement = reading.statement()
    said = statement.said_at.start()
    if said is None:
        dated = next(
            (d.dated for d in story.data.documents if d.id == statement.source.document), None
        )
        said = None if dated is None else datetime.combine(dated, time(), tzinfo=UTC)
    if said is not None and instant < said:
        raise InvalidEvent(where, f"is before the corrected reading was said ({said.date()})")


def corrected_reading(story: SeedStory, correction: SeedCorrection, where: str) -> SeedReading:
    """The corrected reading: the corrected entry's fields with the correction's over them."""
    entry = story.statement(correction.corrects)
    given = correction.statement
    fields = given
    if entry is not None:
        inherited = entry.model_dump(exclude={"key"}, exclude_none=True)
        if "document" in given or "quote" in given:
            inherited = {k: v for k, v in inherited.items() if k not in ("position", "occurrence")}
        fields = {**inherited, **given}
    try:
        return SeedReading.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise InvalidEvent(f"{where}.statement.{field}", first["msg"]) from None


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
        self._check_statements_named_by_id()
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
        self._amend()
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

    def _amend(self) -> None:
        """The file's corrections, then its retractions, in the order the file gives them."""
        for correction in self.story.data.corrections:
            reading = corrected_reading(self.story, correction, f"corrections ({correction.key})")
            self._write(
                f"{self.scope}corrections",
                correction.key,
                partial(
                    self.ledger.correct_statement,
                    self._statement_id(correction.corrects),
                    reason=correction.reason,
                    basis=correction.basis,
                    corrected_at=source_instant(correction.corrected_at),
                ),
                reading.statement(),
            )
        for retraction in self.story.data.retractions:
            self._write(
                f"{self.scope}retractions",
                retraction.key,
                self.ledger.retract_statement,
                self._statement_id(retraction.retracts),
                reason=retraction.reason,
                basis=retraction.basis,
                withdrawn_at=source_instant(retraction.withdrawn_at),
            )

    def _check_statements_named_by_id(self) -> None:
        """A correction or retraction naming a ledger's statement by its id (not a key of the
        file) fits it, checked before anything is written; one stored already is skipped."""
        data = self.story.data
        amendments = [
            (f"corrections[{index}] ({c.key})", "corrections", c.key, c.corrects, "corrected_at",
             c.corrected_at)
            for index, c in enumerate(data.corrections)
        ] + [
            (f"retractions[{index}] ({r.key})", "retractions", r.key, r.retracts, "withdrawn_at",
             r.withdrawn_at)
            for index, r in enumerate(data.retractions)
        ]
        for where, kind, key, reference, field_name, given in amendments:
            if self.story.statement(reference) is not None:
                continue
            if self.ledger.store.get_event(self._event_id(f"{self.scope}{kind}", key)):
                continue
            names = "corrects" if kind == "corrections" else "retracts"
            try:
                self.ledger.check_amendment(uuid.UUID(reference), source_instant(given), field_name)
            except (NotFound, StateConflict) as error:
                raise InvalidEvent(f"{where}.{names}", str(error)) from None
            except InvalidEvent as error:
                raise InvalidEvent(f"{where}.{error.field}", error.message) from None

    def _statement_id(self, reference: str) -> uuid.UUID:
        """The id of the statement a file entry names, by its key in the file or by its id."""
        if self.story.statement(reference) is not None:
            return self._event_id(f"{self.scope}statements", reference)
        return uuid.UUID(reference)

    @staticmethod
    def _event_id(kind: str, key: str) -> uuid.UUID:
        return uuid.uuid5(SEED_NAMESPACE, f"{kind}:{key}")

    def _write(
        self, kind: str, key: str, write: Callable[..., Any], payload: Any, **arguments: Any
    ) -> None:
        """Write one entry of the file under its seed key (its event id), counting what was new;
        ``arguments`` are the write's own (a claim's ``first_shape``, a retraction's reason)."""
        event_id = self._event_id(kind, key)
        already = self.ledger.store.get_event(event_id) is not None
        counted = kind.rpartition("/")[2]
        try:
            metadata = {"source": "seed", "seed_key": key}
            write(payload, options=WriteOptions(event_id=event_id, metadata=metadata), **arguments)
        except StateConflict:
            if not self._registered_alike(counted, payload):
                raise
            already = True  # registered before, by another writer, exactly as the file says
        (self.report.present if already else self.report.appended)[counted] += 1

    def _registered_alike(self, kind: str, payload: Any) -> bool:
        """Whether the actor or document is registered already with the same data, so a file
        drafted from the ledger (``ledger drafts --story-file``) loads over it."""
        streams = {"actors": actor_stream, "documents": document_stream}
        if kind not in streams:
            return False
        key = payload.key if kind == "actors" else payload.document_id
        stored = self.ledger.store.read_stream(streams[kind](key), limit=1)
        return bool(stored) and dict(stored[0].data) == event_data(payload)


def _reading_times(documents: list[SeedDocument]) -> list[datetime]:
    return [doc.recorded_at for doc in documents if doc.recorded_at is not None]
