"""The ledger's use cases: every writer (seed, CLI, HTTP) appends through these, and only these."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Connection

from ledger.domain.events import (
    ActorRegistered,
    ClaimRegistered,
    DocumentRegistered,
    DomainEvent,
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    StoryRegistered,
    actor_stream,
    claim_stream,
    document_stream,
    event_data,
    registered,
    story_stream,
)
from ledger.checkpoints import CheckpointSource
from ledger.audit.schema import signed_roots
from ledger.domain import anchoring
from ledger.drafting import ActorName, Draft, draft_statements
from ledger.domain.model import (
    Actor,
    Claim,
    Document,
    RetractionBasis,
    Statement,
    StatementDraftFields,
    Story,
)
from ledger.domain.validation import anchored_statement, validate_statement
from ledger.errors import EventIdConflict, InvalidEvent, NotFound, StateConflict
from ledger.paging import Page, PageRequest, paged
from ledger.projections import queries, search
from ledger.projections.queries import NOW, ClaimFilter, PointInTime, StatementFilter
from ledger.projections.rebuild import rebuild
from ledger.projections.sql import SqlProjection
from ledger.projections.sql import projection_position
from ledger.projections.replay import Axis, parse_instant, timeline
from ledger.projections.views import (
    ActorSummary,
    AnchorAnswer,
    ActorView,
    ClaimView,
    DocumentSummary,
    DocumentView,
    Replay,
    StatementEntry,
    StatementView,
    StorySummary,
    StoryExtent,
    StoryView,
    trusted,
)
from ledger.store.records import format_instant
from ledger.store.tree import rebuild_tree
from ledger.eventstore import EventStore
from ledger.registry import CachedRegistry, Registrations, Registry, StatementFacts
from ledger.store import (
    ANY,
    NO_STREAM,
    Append,
    ExpectedVersion,
    NewEvent,
    Planned,
    RecordedEvent,
    SqlEventStore,
    Verification,
    encode,
    verify,
)

T = TypeVar("T")
V = TypeVar("V")
W = TypeVar("W")

IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d2c3e-8a51-4e0b-9a57-1c2b9d0e4f10")
Metadata = Mapping[str, Any]


def event_id_for(
    idempotency_key: str | None, event_id: uuid.UUID | None, scope: str | None = None
) -> uuid.UUID | None:
    """The event id a request writes: its own, or one derived from its Idempotency-Key.

    Deriving the id makes the key durable with no table of its own: the event table's unique
    event id refuses a second event for the same key in the same transaction that writes it.
    ``scope`` (over HTTP, the token's configured name) keeps each writer's keys its own: one
    writer cannot squat another's key, nor get another's stored event back by sending it.
    """
    if idempotency_key is None:
        return event_id
    name = idempotency_key if scope is None else f"{scope}:{idempotency_key}"
    derived = uuid.uuid5(IDEMPOTENCY_NAMESPACE, name)
    if event_id is not None and event_id != derived:
        raise InvalidEvent(
            "event_id", "give an event_id or an Idempotency-Key, not two different ones"
        )
    return derived


@dataclass(frozen=True, slots=True)
class WriteOptions:
    """How any write is made: the stream version it expects, its event id or Idempotency-Key
    (which derives the id and is kept in the metadata), the metadata it carries, and whether
    its writer wants a receipt (``receipt``: the commit holding it signs a checkpoint too, so the
    receipt needs no signature or commit of its own)."""

    expected_version: ExpectedVersion = ANY
    event_id: uuid.UUID | None = None
    idempotency_key: str | None = None
    metadata: Metadata = field(default_factory=dict)
    receipt: bool = False
    idempotency_scope: str | None = None

    def resolved_event_id(self) -> uuid.UUID | None:
        return event_id_for(self.idempotency_key, self.event_id, self.idempotency_scope)

    def full_metadata(self) -> dict[str, Any]:
        merged = dict(self.metadata)
        if self.idempotency_key is not None:
            merged["idempotency_key"] = self.idempotency_key
        return merged

    def new_event(self, payload: DomainEvent, data: Mapping[str, Any] | None = None) -> NewEvent:
        """The store-level event carrying ``payload`` (as ``data``, when a writer keeps an older
        shape of the same event, like the seed's ``ClaimRegistered.first_shape``)."""
        return NewEvent(
            type=type(payload).__name__,
            data=dict(data) if data is not None else event_data(payload),
            metadata=self.full_metadata(),
            event_id=self.resolved_event_id() or uuid.uuid4(),
            payload=payload,
        )


NO_OPTIONS = WriteOptions()


class Ledger:
    """Registers documents, actors and claims; records, retracts and corrects statements.

    Every write takes the append pipeline's stages (``ledger.store.pipeline``): it is checked
    here against the registry as committed, before the append lock (registrations are never
    changed or removed, so what a check found still holds inside the lock, and
    ``Registrations`` keeps what checks found); its event is encoded once; the pipeline commits
    it in a batch with concurrent writes. Only what depends on the stream's state (its version,
    a statement's standing version, a claim's story) is read inside the lock, by the plan the
    write hands the pipeline.
    """

    def __init__(
        self,
        store: EventStore,
        registry_in: Callable[[Connection], Registry],
        registrations: Registrations | None = None,
    ) -> None:
        """``registry_in``: the registry as a connection of ``store`` sees it (a read
        connection's before the append lock, the lock holder's inside a plan).
        ``registrations``: what the checks found, shared with the live fold (``bootstrap``)."""
        self.store = store
        self.registry_in = registry_in
        self.registrations = registrations or Registrations()

    def _check(self, check: Callable[[Registry], T]) -> T:
        """Run ``check`` against the registry as committed, outside the append lock: from the
        registrations already seen, reading the database (once) only for what is not."""
        with ExitStack() as opened:

            def source() -> Registry:
                return self.registry_in(opened.enter_context(self.store.read_connection()))

            return check(CachedRegistry(self.registrations, source))

    def register_document(
        self, document: Document, *, options: WriteOptions = NO_OPTIONS
    ) -> RecordedEvent:
        """Register a source text; its publisher, if named, must be a registered actor."""
        event = registered(DocumentRegistered, document)
        publisher = event.publisher
        if publisher and not self._check(lambda registry: registry.has_actor(publisher)):
            raise InvalidEvent("publisher", "no such actor is registered")
        return self._register(document_stream(event.document_id), event, options)

    def register_actor(self, actor: Actor, *, options: WriteOptions = NO_OPTIONS) -> RecordedEvent:
        """Register someone who makes or relays statements."""
        event = registered(ActorRegistered, actor)
        return self._register(actor_stream(event.key), event, options)

    def register_claim(
        self, claim: Claim, *, first_shape: bool = False, options: WriteOptions = NO_OPTIONS
    ) -> RecordedEvent:
        """Register a proposition that statements can be about, in its story if it names one.

        ``first_shape`` writes the claim as the ledger first wrote claims, when it fits (the
        seed's claims, so that their events stay byte-identical).
        """
        event = registered(ClaimRegistered, claim)
        story = event.story
        if story is not None and not self._check(lambda registry: registry.has_story(story)):
            raise InvalidEvent("story", "no such story is registered (POST /v1/stories)")
        data = event.first_shape() if first_shape else None
        return self._register(claim_stream(event.key), event, options, data=data)

    def register_story(self, story: Story, *, options: WriteOptions = NO_OPTIONS) -> RecordedEvent:
        """Register a story; the claims it lists must exist and belong to no other story.

        Which story a claim is in can change (a story registered meanwhile), so that is
        checked inside the append lock; that the claims exist is checked before it.
        """
        event = registered(StoryRegistered, story)
        self._check(lambda registry: _claims_exist(registry, event))

        def owners(connection: Connection) -> None:
            _claims_free(self.registry_in(connection), event)

        return self._register(story_stream(event.key), event, options, inside=owners)

    def record_statement(
        self, statement: Statement | StatementDraftFields, *, options: WriteOptions = NO_OPTIONS
    ) -> RecordedEvent:
        """Append a statement to its claim's stream once it passes every check.

        A draft's quote is anchored in its document first: the event stores the full anchor.
        The draft (a request body as it is) is anchored into the event itself, so the
        statement is built once on its way to the log; a full statement becomes the event.
        """

        def checked(registry: Registry) -> Statement:
            anchored = anchored_statement(statement, registry, into=StatementRecorded)
            validate_statement(anchored, registry, recorded_at=self.store.clock())
            return anchored

        anchored = self._check(checked)
        event = options.new_event(StatementRecorded.of(anchored))
        planned = Planned(
            claim_stream(anchored.claim), [event], encode([event]), options.expected_version
        )
        return self._submit(Append(planned), options)

    def retract_statement(
        self,
        statement_id: uuid.UUID,
        *,
        reason: str,
        basis: RetractionBasis,
        withdrawn_at: datetime | None = None,
        options: WriteOptions = NO_OPTIONS,
    ) -> RecordedEvent:
        """Stop counting a statement from now on; it stays in the log and in the replay.

        ``source_changed``: the source withdrew its text, at ``withdrawn_at`` (by default when
        the retraction is recorded); on the said axis the statement stood until then.
        """
        try:
            payload = StatementRetracted(
                statement_id=uuid.UUID(int=0), reason=reason, basis=basis, withdrawn_at=withdrawn_at
            )
        except ValidationError as error:
            raise InvalidEvent("withdrawn_at", error.errors()[0]["msg"]) from None

        def retraction(registry: Registry, standing: StatementFacts) -> DomainEvent:
            self._check_withdrawal(registry, standing.statement_id, withdrawn_at)
            return payload.model_copy(update={"statement_id": standing.statement_id})

        return self._amend(statement_id, _asked(payload), retraction, options)

    def check_amendment(
        self, statement_id: uuid.UUID, source_time: datetime | None, field: str
    ) -> None:
        """What correcting or retracting ``statement_id`` would refuse about the statement and
        the source's time (``field``), found before a story file writes anything."""

        def check(registry: Registry) -> None:
            standing = standing_statement(registry, statement_id)
            if source_time is not None:
                self._check_source_time(registry, standing.statement_id, source_time, field)

        self._check(check)

    def _check_withdrawal(
        self, registry: Registry, root: uuid.UUID, withdrawn_at: datetime | None
    ) -> None:
        if withdrawn_at is not None:
            self._check_source_time(registry, root, withdrawn_at, "withdrawn_at")

    def _check_source_time(
        self, registry: Registry, root: uuid.UUID, instant: datetime, field: str
    ) -> None:
        """A source's withdrawal or correction lies between the statement's said time and now."""
        if instant > self.store.clock():
            raise InvalidEvent(field, "is in the future")
        said = registry.said_start(root)
        if said is not None and instant < said:
            raise InvalidEvent(
                field, f"is before the statement was said ({format_instant(said)})"
            )

    def correct_statement(
        self,
        statement_id: uuid.UUID,
        corrected: Statement | StatementDraftFields,
        *,
        reason: str,
        basis: RetractionBasis,
        corrected_at: datetime | None = None,
        options: WriteOptions = NO_OPTIONS,
    ) -> RecordedEvent:
        """Replace a statement's reading; the original stays in the log.

        ``source_changed``: the source published the changed text at ``corrected_at`` (by
        default when the ledger records the correction, written into the event); on the said
        axis the old reading stands until then. ``ledger_error``: the new reading replaces the
        old from the start.

        The checks run before the append lock in the order they always ran (the statement
        stands, the claim stays, the quote anchors, the registry knows everything named); a
        retry is confirmed against what it asks instead, which need not pass today's checks.
        """
        _correction_time_fits(basis, corrected_at)
        event_id = options.resolved_event_id()
        retry = event_id is not None and self.store.get_event(event_id) is not None

        def checked(registry: Registry) -> Statement:
            if not retry:
                _stays_on_claim(corrected, standing_statement(registry, statement_id))
            statement = anchored_statement(corrected, registry, field="statement.")
            if not retry:
                validate_statement(
                    statement, registry, field="statement.", recorded_at=self.store.clock()
                )
            return statement

        statement = self._check(checked)

        def correction(registry: Registry, standing: StatementFacts) -> DomainEvent:
            _stays_on_claim(corrected, standing)
            when = self._correction_time(registry, standing.statement_id, basis, corrected_at)
            if corrected_at is not None:
                _reading_said_by(corrected_at, statement, registry)
            return StatementCorrected(
                statement_id=standing.statement_id,
                reason=reason,
                basis=basis,
                statement=statement,
                corrected_at=when,
            )

        asked = {"reason": reason, "basis": basis, "statement": statement.model_dump(mode="json")}
        if corrected_at is not None:
            asked["corrected_at"] = event_data_instant(corrected_at)
        return self._amend(statement_id, asked, correction, options)

    def _correction_time(
        self,
        registry: Registry,
        root: uuid.UUID,
        basis: RetractionBasis,
        corrected_at: datetime | None,
    ) -> datetime | None:
        """When the source changed its text: as given (checked), or by default now."""
        if basis is not RetractionBasis.SOURCE_CHANGED:
            return None
        if corrected_at is None:
            return self.store.clock()
        self._check_source_time(registry, root, corrected_at, "corrected_at")
        return corrected_at

    def _amend(
        self,
        statement_id: uuid.UUID,
        asked: Mapping[str, Any],
        build: Callable[[Registry, StatementFacts], DomainEvent],
        write: WriteOptions,
    ) -> RecordedEvent:
        """Append a retraction or correction of a standing statement, or return its retry.

        The statement's standing version depends on its claim's stream, so it is read inside
        the append lock (the plan reads the projections: the batch folds what is before it).
        """
        event_id = write.resolved_event_id()

        def plan(connection: Connection) -> Planned | list[RecordedEvent]:
            registry = self.registry_in(connection)
            retry = None if event_id is None else self.store.get_event_in(connection, event_id)
            if retry is not None:
                if retry.metadata.get("token") != write.metadata.get("token"):
                    raise EventIdConflict(retry.event_id)  # another writer's stored event
                return [_confirmed_retry(registry, retry, statement_id, asked)]
            standing = standing_statement(registry, statement_id)
            event = write.new_event(build(registry, standing))
            stream = claim_stream(standing.claim)
            return Planned(stream, [event], encode([event]), write.expected_version)

        return self._submit(Append(plan, reads_state=True), write)

    def _register(
        self,
        stream: str,
        payload: DomainEvent,
        write: WriteOptions,
        *,
        data: Mapping[str, Any] | None = None,
        inside: Callable[[Connection], None] | None = None,
    ) -> RecordedEvent:
        """Append a registration, the first event of its stream; ``inside`` checks what only
        holds under the append lock."""
        event = write.new_event(payload, data)
        planned = Planned(
            stream,
            [event],
            encode([event]),
            NO_STREAM,
            refusal=lambda _: StateConflict(f"{stream} is already registered"),
        )
        if inside is None:
            return self._submit(Append(planned), write)

        def plan(connection: Connection) -> Planned:
            inside(connection)
            return planned

        return self._submit(Append(plan, reads_state=True), write)

    def _submit(self, append: Append, write: WriteOptions) -> RecordedEvent:
        """Hand ``append`` to the pipeline; its one event as recorded, once durable."""
        return self.store.submit(append, seal=write.receipt)[0]


def _claims_exist(registry: Registry, story: StoryRegistered) -> None:
    for index, key in enumerate(story.claims):
        if not registry.has_claim(key):
            raise InvalidEvent(f"claims[{index}]", "no such claim is registered")


def _claims_free(registry: Registry, story: StoryRegistered) -> None:
    for index, key in enumerate(story.claims):
        owner = registry.story_of(key)
        if owner is not None and owner != story.key:
            raise InvalidEvent(f"claims[{index}]", f"the claim is in story {owner!r}")


def _reading_said_by(corrected_at: datetime, reading: Statement, registry: Registry) -> None:
    """A source corrects with a text it has printed: the new reading is said (by its own date,
    else its document's) no later than ``corrected_at``, or the said axis would hold a gap with
    no step in it, the old reading ended and the new one not yet begun."""
    said = reading.said_at.start()
    if said is None:
        document = registry.document(reading.source.document)
        dated = None if document is None else document.dated
        said = None if dated is None else datetime.combine(dated, time(), tzinfo=UTC)
    if said is not None and corrected_at < said:
        raise InvalidEvent(
            "corrected_at",
            f"is before the corrected reading was said ({format_instant(said)}): a correction "
            "dates from when the source printed its new text",
        )


def _correction_time_fits(basis: RetractionBasis, corrected_at: datetime | None) -> None:
    """What the event itself refuses, refused before any read, naming the request's field."""
    if corrected_at is None:
        return
    if basis is not RetractionBasis.SOURCE_CHANGED:
        raise InvalidEvent(
            "corrected_at",
            "is only for basis source_changed: a ledger_error correction replaces the old "
            "reading from the start",
        )
    if corrected_at.tzinfo is None:
        raise InvalidEvent("corrected_at", "needs a UTC offset, or give a date")


def event_data_instant(instant: datetime) -> str:
    """``instant`` as the event data stores a datetime (Pydantic's JSON form)."""
    return str(TypeAdapter(datetime).dump_python(instant, mode="json"))


def _stays_on_claim(
    corrected: Statement | StatementDraftFields, standing: StatementFacts
) -> None:
    if corrected.claim != standing.claim:
        raise InvalidEvent("statement.claim", f"a correction stays on claim {standing.claim!r}")


def standing_statement(registry: Registry, statement_id: uuid.UUID) -> StatementFacts:
    """The root id and claim of the statement ``statement_id`` names, if it still stands."""
    latest = registry.latest_version(statement_id)
    if latest is None:
        raise NotFound(f"no statement {statement_id}")
    if latest.ended_by == "retracted":
        raise StateConflict(f"statement {statement_id} is already retracted")
    return latest


def _confirmed_retry(
    registry: Registry,
    stored: RecordedEvent,
    statement_id: uuid.UUID,
    expected: Mapping[str, Any],
) -> RecordedEvent:
    """A stored retraction or correction is returned for a retry only if the retry asks the same."""
    version = registry.latest_version(statement_id)
    same = (
        stored.type in ("StatementRetracted", "StatementCorrected")
        and version is not None
        and stored.data.get("statement_id") == str(version.statement_id)
        and all(stored.data.get(name) == value for name, value in expected.items())
    )
    if not same:
        raise EventIdConflict(stored.event_id)
    return stored


def _asked(payload: DomainEvent) -> dict[str, Any]:
    """What a retry must ask again to get the stored event: its data but the statement id."""
    data = event_data(payload)
    return {name: value for name, value in data.items() if name != "statement_id"}


@dataclass(frozen=True, slots=True)
class _Search:
    """A full-text query, the search answering it, and the filter field its matches narrow."""

    q: str | None
    matching: Callable[[Connection, Any, str], Any]
    narrows: str


@dataclass(frozen=True, slots=True)
class LogProgress:
    """How far the log, its signed checkpoints and its projections have got."""

    head: int
    checkpoint_size: int | None
    folded: int


DRAFTS_KEPT = 32


class LedgerQueries:
    """What the ledger says now and at earlier points; every read the API and CLI make."""

    def __init__(self, store: SqlEventStore, projection: SqlProjection) -> None:
        self.store = store
        self.projection = projection
        self._drafts: OrderedDict[tuple[str, tuple[ActorName, ...]], tuple[Draft, ...]] = (
            OrderedDict()
        )
        self._drafts_lock = threading.Lock()

    def progress(self, checkpoints: CheckpointSource) -> LogProgress:
        """The log's head, the latest signed checkpoint's size and the projections' position,
        read in one transaction (the gauges ``/metrics`` shows)."""
        with self.store.read_connection() as connection:
            latest = checkpoints.latest(connection)
            return LogProgress(
                head=self.store.head_position_in(connection),
                checkpoint_size=None if latest is None else latest.size,
                folded=projection_position(connection),
            )

    def claims(
        self,
        at: PointInTime = NOW,
        where: ClaimFilter = ClaimFilter(),
        page: PageRequest = PageRequest(),
        q: str | None = None,
    ) -> Page[ClaimView]:
        """A page of claims by key; ``q`` keeps those whose proposition or quotes match."""

        def views(connection: Connection, where: ClaimFilter) -> list[ClaimView]:
            return queries.claim_views(connection, at, where)

        found = _Search(q, search.matching_claims, "keys")
        return self._filtered("claims", page, where, found, views, lambda claim: claim.key)

    def statements(
        self, where: StatementFilter, page: PageRequest = PageRequest(), q: str | None = None
    ) -> Page[StatementEntry]:
        """A page of statements (latest versions) in recording order; ``q`` searches quotes."""
        found = _Search(q, search.matching_statements, "version_ids")
        return self._filtered(
            "statements", page, where, found, queries.statement_list, lambda e: e.position, int
        )

    def _filtered(
        self,
        name: str,
        page: PageRequest,
        where: W,
        found: _Search,
        views: Callable[[Connection, W], list[V]],
        cursor: Callable[[V], Any],
        sorted_by: type[int] | type[str] = str,
    ) -> Page[V]:
        """A page of views by ``where``, narrowed to what the full-text search finds, if asked."""
        with self.store.read_connection() as connection:
            if found.q is not None:
                matches = found.matching(connection, self.store.backend, found.q)
                where = replace(where, **{found.narrows: matches})  # type: ignore[type-var]

            def fetch(after: Any, limit: int) -> list[V]:
                return views(connection, replace(where, after=after, limit=limit))  # type: ignore[type-var]

            return paged(name, page, fetch, cursor, sorted_by=sorted_by)

    def _listed(
        self,
        name: str,
        page: PageRequest,
        views: Callable[[Connection, Any, int], list[V]],
        cursor_field: str,
        sorted_by: type[int] | type[str] = str,
    ) -> Page[V]:
        """A page of one kind of view, each page read by ``views`` after a cursor value."""
        with self.store.read_connection() as connection:
            return paged(
                name,
                page,
                lambda after, limit: views(connection, after, limit),
                lambda view: getattr(view, cursor_field),
                sorted_by=sorted_by,
            )

    def _read(self, read: Callable[[Connection], T]) -> T:
        with self.store.read_connection() as connection:
            return read(connection)

    def stories(self, page: PageRequest = PageRequest()) -> Page[StorySummary]:
        return self._listed("stories", page, queries.story_views, "key")

    def story(self, key: str) -> StoryView:
        with self.store.read_connection() as connection:
            return _found(queries.story_view(connection, key), f"no story {key!r}")

    def claim(self, key: str, at: PointInTime = NOW) -> ClaimView:
        with self.store.read_connection() as connection:
            return _found(queries.claim_view(connection, key, at), f"no claim {key!r}")

    def claim_and_version(self, key: str) -> tuple[ClaimView, int | None]:
        """The claim's current view and its stream's version, read in one query."""
        with self.store.read_connection() as connection:
            found = queries.current_claim_and_version(connection, self.store.backend, key)
        return _found(found, f"no claim {key!r}")

    def events(self, after: int = 0, limit: int = 100) -> list[RecordedEvent]:
        """A page of the global log after position ``after``."""
        return self.store.read_page(after=after, limit=limit)

    def claim_history(self, key: str) -> list[StatementEntry]:
        with self.store.read_connection() as connection:
            return _found(queries.claim_history(connection, key), f"no claim {key!r}")

    def statement(self, statement_id: uuid.UUID) -> StatementView:
        with self.store.read_connection() as connection:
            return _found(
                queries.statement_view(connection, statement_id), f"no statement {statement_id}"
            )

    def all_claims(self) -> list[ClaimView]:
        """Every claim now, unpaged (whole-ledger exports)."""
        return self._read(queries.claim_views)

    def all_actors(self) -> list[ActorSummary]:
        return self._read(queries.actor_views)

    def all_documents(self) -> list[DocumentSummary]:
        return self._read(queries.document_views)

    def statement_entries(self) -> list[StatementEntry]:
        return self._read(queries.statement_entries)

    def actors(self, page: PageRequest = PageRequest()) -> Page[ActorSummary]:
        return self._listed("actors", page, queries.actor_views, "key")

    def actor(self, key: str) -> ActorView:
        with self.store.read_connection() as connection:
            return _found(queries.actor_view(connection, key), f"no actor {key!r}")

    def documents(self, page: PageRequest = PageRequest()) -> Page[DocumentSummary]:
        return self._listed("documents", page, queries.document_views, "position", int)

    def document(self, document_id: str) -> DocumentView:
        with self.store.read_connection() as connection:
            return _found(
                queries.document_view(connection, document_id), f"no document {document_id!r}"
            )

    def original(self, document_id: str) -> tuple[str, bytes]:
        """The bytes the document's text came from and their media type."""
        with self.store.read_connection() as connection:
            return _found(
                queries.document_original(connection, document_id), f"no document {document_id!r}"
            )

    def drafts(self, document_id: str) -> list[Draft]:
        """The statements the document's text appears to make, proposed for a person to confirm
        (nothing is written): matched against every registered actor, names and aliases."""
        view = self.document(document_id)
        actors = tuple(
            ActorName(actor.key, actor.name, actor.kind, tuple(actor.aliases))
            for actor in self.all_actors()
        )
        key = (document_id, actors)
        with self._drafts_lock:
            drafts = self._drafts.get(key)
        if drafts is None:
            drafts = tuple(draft_statements(view.text, list(actors), publisher=view.publisher))
            self._keep_drafts(key, drafts)
        return list(drafts)

    def _keep_drafts(
        self, key: tuple[str, tuple[ActorName, ...]], drafts: tuple[Draft, ...]
    ) -> None:
        """Drafts depend on the document's text (never changed) and the registered actors (the
        key holds them): kept for the ``DRAFTS_KEPT`` documents asked last, so repeated
        anonymous requests for a long document do not redo seconds of work each."""
        with self._drafts_lock:
            self._drafts[key] = drafts
            self._drafts.move_to_end(key)
            while len(self._drafts) > DRAFTS_KEPT:
                self._drafts.popitem(last=False)

    def anchors(
        self, document_id: str, exact: str, *, after: int = 0, limit: int = anchoring.MAX_PAGE
    ) -> AnchorAnswer:
        """The occurrences of ``exact`` numbered after ``after`` (at most ``limit``), with their
        full anchors, and how many there are; the work is capped (``anchoring.MAX_COUNTED``)."""
        view = self.document(document_id)
        found = anchoring.find_starts(view.text, exact)
        shown = anchoring.occurrences(view.text, found, after=after, limit=limit)
        last = after + len(shown)
        answer = {
            "document": document_id,
            "exact": exact,
            "context": anchoring.CONTEXT,
            "occurrences": [occurrence.to_json() for occurrence in shown],
            "total": len(found.starts),
            "total_complete": found.complete,
            "next": last if shown and last < len(found.starts) else None,
        }
        return trusted(AnchorAnswer, answer)

    def replay(
        self,
        *,
        start: datetime | None,
        end: datetime | None,
        axis: Axis,
        claim: str | None = None,
        story: str | None = None,
    ) -> Replay:
        """The steps between ``start`` and ``end``; with a story, either left out is the
        story's own first or last instant on ``axis``."""
        with self.store.read_connection() as connection:
            if claim is not None:
                _found(queries.claim_view(connection, claim), f"no claim {claim!r}")
            if story is not None:
                view = _found(queries.story_view(connection, story), f"no story {story!r}")
                start, end = _window(view.extent, axis, start, end, self.store.clock())
            if start is None or end is None:
                missing = "from" if start is None else "to"
                raise InvalidEvent(missing, "is required unless a story gives the window")
            return timeline(connection, start=start, end=end, axis=axis, claim=claim, story=story)

    def pinned_position(self, known_at: datetime) -> int | None:
        """The log position a view known at ``known_at`` is fixed at, or None if not yet fixed."""
        with self.store.read_connection() as connection:
            return queries.pinned_position(connection, known_at)

    def verify(self) -> Verification:
        return verify(self.store, kept_roots=signed_roots)

    def rebuild_projections(self) -> int:
        return rebuild(self.store)

    def rebuild_tree(self) -> tuple[int, bytes]:
        """Recompute the stored Merkle nodes from the events; the tree's size and root."""
        with self.store.write_transaction() as connection:
            return rebuild_tree(connection)


def _window(
    extent: StoryExtent,
    axis: Axis,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> tuple[datetime | None, datetime | None]:
    """The replay window with a story's extent on ``axis`` filling what was not given (a story
    without statements spans nothing: its window is empty, from the given start or now)."""
    span = extent.said if axis is Axis.SAID else extent.recorded
    if span is None:
        empty = start or end or now
        return start or empty, end or empty
    first = parse_instant(span.from_, field="from")
    last = parse_instant(span.to, field="to")
    # A bound given past the story's other end leaves an empty window, not a refusal of the
    # bound the caller never gave.
    if start is not None and end is None:
        return start, max(start, last)
    if end is not None and start is None:
        return min(end, first), end
    return start or first, end or last


def _found(value: T | None, message: str) -> T:
    if value is None:
        raise NotFound(message)
    return value
