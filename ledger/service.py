"""The ledger's use cases: every writer (seed, CLI, HTTP) appends through these, and only these."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import Connection, or_, select

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
    story_stream,
    to_new_event,
)
from ledger.domain import anchoring
from ledger.domain.model import RetractionBasis, Statement, StatementDraft
from ledger.domain.validation import anchored_statement, validate_statement
from ledger.errors import ConcurrencyError, EventIdConflict, InvalidEvent, NotFound, StateConflict
from ledger.paging import Page, PageRequest, paged
from ledger.projections import queries, search
from ledger.projections.queries import NOW, ClaimFilter, PointInTime, StatementFilter
from ledger.projections.schema import statement_versions
from ledger.projections.rebuild import rebuild
from ledger.projections.sql import SqlProjection, SqlRegistry
from ledger.projections.replay import Axis, timeline
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
    StoryView,
    trusted,
)
from ledger.store.tree import rebuild_tree
from ledger.store import (
    ANY,
    NO_STREAM,
    ExpectedVersion,
    RecordedEvent,
    SqlEventStore,
    Verification,
    verify,
)

T = TypeVar("T")

IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d2c3e-8a51-4e0b-9a57-1c2b9d0e4f10")
Metadata = Mapping[str, Any]


def event_id_for(idempotency_key: str | None, event_id: uuid.UUID | None) -> uuid.UUID | None:
    """The event id a request writes: its own, or one derived from its Idempotency-Key.

    Deriving the id makes the key durable with no table of its own: the event table's unique
    event id refuses a second event for the same key in the same transaction that writes it.
    """
    if idempotency_key is None:
        return event_id
    derived = uuid.uuid5(IDEMPOTENCY_NAMESPACE, idempotency_key)
    if event_id is not None and event_id != derived:
        raise InvalidEvent(
            "event_id", "give an event_id or an Idempotency-Key, not two different ones"
        )
    return derived


class Ledger:
    """Registers documents, actors and claims; records, retracts and corrects statements."""

    def __init__(self, store: SqlEventStore) -> None:
        self.store = store

    def register_document(self, document: DocumentRegistered, **options: Any) -> RecordedEvent:
        """Register a source text; its publisher, if named, must be a registered actor."""

        def work(connection: Connection) -> RecordedEvent:
            if document.publisher and not SqlRegistry(connection, self.store.backend).has_actor(
                document.publisher
            ):
                raise InvalidEvent("publisher", "no such actor is registered")
            return self._register(
                connection, document_stream(document.document_id), document, **options
            )

        return self.store.write(work)

    def register_actor(self, actor: ActorRegistered, **options: Any) -> RecordedEvent:
        """Register someone who makes or relays statements."""

        def work(connection: Connection) -> RecordedEvent:
            return self._register(connection, actor_stream(actor.key), actor, **options)

        return self.store.write(work)

    def register_claim(
        self, claim: ClaimRegistered, *, first_shape: bool = False, **options: Any
    ) -> RecordedEvent:
        """Register a proposition that statements can be about, in its story if it names one.

        ``first_shape`` writes the claim as the ledger first wrote claims, when it fits (the
        seed's claims, so that their events stay byte-identical).
        """
        data = claim.first_shape() if first_shape else None

        def work(connection: Connection) -> RecordedEvent:
            registry = SqlRegistry(connection, self.store.backend)
            if claim.story is not None and not registry.has_story(claim.story):
                raise InvalidEvent("story", "no such story is registered (POST /v1/stories)")
            return self._register(connection, claim_stream(claim.key), claim, data=data, **options)

        return self.store.write(work)

    def register_story(self, story: StoryRegistered, **options: Any) -> RecordedEvent:
        """Register a story; the claims it lists must exist and belong to no other story."""

        def work(connection: Connection) -> RecordedEvent:
            registry = SqlRegistry(connection, self.store.backend)
            for index, key in enumerate(story.claims):
                if not registry.has_claim(key):
                    raise InvalidEvent(f"claims[{index}]", "no such claim is registered")
                owner = registry.story_of(key)
                if owner is not None and owner != story.key:
                    raise InvalidEvent(f"claims[{index}]", f"the claim is in story {owner!r}")
            return self._register(connection, story_stream(story.key), story, **options)

        return self.store.write(work)

    def record_statement(
        self,
        statement: Statement | StatementDraft,
        *,
        expected_version: ExpectedVersion = ANY,
        event_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        metadata: Metadata | None = None,
    ) -> RecordedEvent:
        """Append a statement to its claim's stream once it passes every check.

        A draft's quote is anchored in its document first: the event stores the full anchor.
        """
        event_id = event_id_for(idempotency_key, event_id)
        metadata = _with_key(metadata, idempotency_key)

        def work(connection: Connection) -> RecordedEvent:
            registry = SqlRegistry(connection, self.store.backend)
            anchored = anchored_statement(statement, registry)
            validate_statement(anchored, registry)
            payload = StatementRecorded(**anchored.model_dump())
            return self._append(
                connection, anchored.claim, payload, expected_version, event_id, metadata
            )

        return self.store.write(work)

    def retract_statement(
        self,
        statement_id: uuid.UUID,
        *,
        reason: str,
        basis: RetractionBasis,
        withdrawn_at: datetime | None = None,
        expected_version: ExpectedVersion = ANY,
        event_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        metadata: Metadata | None = None,
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

        def retraction(connection: Connection, root: uuid.UUID, claim: str) -> DomainEvent:
            self._check_withdrawal(connection, root, withdrawn_at)
            return payload.model_copy(update={"statement_id": root})

        asked = _asked(payload)
        return self._amend(
            statement_id, asked, retraction, expected_version, event_id, idempotency_key, metadata
        )

    def _check_withdrawal(
        self, connection: Connection, root: uuid.UUID, withdrawn_at: datetime | None
    ) -> None:
        if withdrawn_at is None:
            return
        if withdrawn_at > self.store.clock():
            raise InvalidEvent("withdrawn_at", "is in the future")
        said = _said_start(connection, root)
        if said is not None and withdrawn_at < said:
            raise InvalidEvent("withdrawn_at", "is before the statement was said")

    def correct_statement(
        self,
        statement_id: uuid.UUID,
        corrected: Statement | StatementDraft,
        *,
        reason: str,
        basis: RetractionBasis,
        expected_version: ExpectedVersion = ANY,
        event_id: uuid.UUID | None = None,
        idempotency_key: str | None = None,
        metadata: Metadata | None = None,
    ) -> RecordedEvent:
        """Replace a statement's reading from now on; the original stays in the log."""

        def anchored(connection: Connection) -> Statement:
            registry = SqlRegistry(connection, self.store.backend)
            return anchored_statement(corrected, registry, field="statement.")

        def correction(connection: Connection, root: uuid.UUID, claim: str) -> DomainEvent:
            if corrected.claim != claim:
                raise InvalidEvent("statement.claim", f"a correction stays on claim {claim!r}")
            statement = anchored(connection)
            validate_statement(
                statement, SqlRegistry(connection, self.store.backend), field="statement."
            )
            return StatementCorrected(
                statement_id=root, reason=reason, basis=basis, statement=statement
            )

        def asked(connection: Connection) -> Mapping[str, Any]:
            statement = anchored(connection).model_dump(mode="json")
            return {"reason": reason, "basis": basis, "statement": statement}

        return self._amend(
            statement_id, asked, correction, expected_version, event_id, idempotency_key, metadata
        )

    def _amend(
        self,
        statement_id: uuid.UUID,
        asked: Mapping[str, Any] | Callable[[Connection], Mapping[str, Any]],
        build: Callable[[Connection, uuid.UUID, str], DomainEvent],
        expected_version: ExpectedVersion,
        event_id: uuid.UUID | None,
        idempotency_key: str | None,
        metadata: Metadata | None,
    ) -> RecordedEvent:
        """Append a retraction or correction of a standing statement, or return its retry."""
        event_id = event_id_for(idempotency_key, event_id)
        metadata = _with_key(metadata, idempotency_key)

        def work(connection: Connection) -> RecordedEvent:
            retry = self._stored_retry(connection, event_id)
            if retry is not None:
                expected = asked(connection) if callable(asked) else asked
                return _confirmed_retry(connection, retry, statement_id, expected)
            root, claim = standing_statement(connection, statement_id)
            payload = build(connection, root, claim)
            return self._append(connection, claim, payload, expected_version, event_id, metadata)

        return self.store.write(work)

    def _register(
        self,
        connection: Connection,
        stream: str,
        payload: DomainEvent,
        *,
        event_id: uuid.UUID | None = None,
        metadata: Metadata | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> RecordedEvent:
        event = to_new_event(payload, event_id=event_id, metadata=metadata, data=data)
        try:
            return self.store.append_in(connection, stream, [event], expected_version=NO_STREAM)[0]
        except ConcurrencyError:
            raise StateConflict(f"{stream} is already registered") from None

    def _append(
        self,
        connection: Connection,
        claim: str,
        payload: DomainEvent,
        expected_version: ExpectedVersion,
        event_id: uuid.UUID | None,
        metadata: Metadata | None,
    ) -> RecordedEvent:
        event = to_new_event(payload, event_id=event_id, metadata=metadata)
        stream = claim_stream(claim)
        return self.store.append_in(connection, stream, [event], expected_version=expected_version)[
            0
        ]

    def _stored_retry(
        self, connection: Connection, event_id: uuid.UUID | None
    ) -> RecordedEvent | None:
        """A retry of a retraction or correction finds its event already stored."""
        if event_id is None:
            return None
        return self.store.get_event_in(connection, event_id)


def standing_statement(connection: Connection, statement_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """The root id and claim of the statement ``statement_id`` names, if it still stands."""
    row = _latest_version(connection, statement_id)
    if row is None:
        raise NotFound(f"no statement {statement_id}")
    if row.ended_by == "retracted":
        raise StateConflict(f"statement {statement_id} is already retracted")
    return row.statement_id, row.claim


def _latest_version(connection: Connection, statement_id: uuid.UUID) -> Any:
    """The newest version of the statement that ``statement_id`` names (its root or a version)."""
    columns = statement_versions.c
    query = (
        select(columns.statement_id, columns.claim, columns.ended_by)
        .where(or_(columns.statement_id == statement_id, columns.version_id == statement_id))
        .order_by(columns.position.desc())
    )
    return connection.execute(query).first()


def _confirmed_retry(
    connection: Connection,
    stored: RecordedEvent,
    statement_id: uuid.UUID,
    expected: Mapping[str, Any],
) -> RecordedEvent:
    """A stored retraction or correction is returned for a retry only if the retry asks the same."""
    version = _latest_version(connection, statement_id)
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
    data = to_new_event(payload).data
    return {name: value for name, value in data.items() if name != "statement_id"}


def _said_start(connection: Connection, root: uuid.UUID) -> datetime | None:
    """When the standing version of a statement says it was said, if its source dates it."""
    columns = statement_versions.c
    row = connection.execute(
        select(columns.said_key, columns.said_key_basis).where(
            columns.statement_id == root, columns.ended_position.is_(None)
        )
    ).first()
    return row.said_key if row is not None and row.said_key_basis == "said_at" else None


def _with_key(metadata: Metadata | None, idempotency_key: str | None) -> dict[str, Any]:
    merged = dict(metadata or {})
    if idempotency_key is not None:
        merged["idempotency_key"] = idempotency_key
    return merged


class LedgerQueries:
    """What the ledger says now and at earlier points; every read the API and CLI make."""

    def __init__(self, store: SqlEventStore, projection: SqlProjection) -> None:
        self.store = store
        self.projection = projection

    def claims(
        self,
        at: PointInTime = NOW,
        where: ClaimFilter = ClaimFilter(),
        page: PageRequest = PageRequest(),
        q: str | None = None,
    ) -> Page[ClaimView]:
        """A page of claims by key; ``q`` keeps those whose proposition or quotes match."""
        with self.store.read_connection() as connection:
            if q is not None:
                found = search.matching_claims(connection, self.store.backend, q)
                where = replace(where, keys=found)

            def fetch(after: Any, limit: int) -> list[ClaimView]:
                return queries.claim_views(connection, at, replace(where, after=after, limit=limit))

            return paged("claims", page, fetch, lambda claim: claim.key)

    def statements(
        self, where: StatementFilter, page: PageRequest = PageRequest(), q: str | None = None
    ) -> Page[StatementEntry]:
        """A page of statements (latest versions) in recording order; ``q`` searches quotes."""
        with self.store.read_connection() as connection:
            if q is not None:
                found = search.matching_statements(connection, self.store.backend, q)
                where = replace(where, version_ids=found)

            def fetch(after: Any, limit: int) -> list[StatementEntry]:
                return queries.statement_list(connection, replace(where, after=after, limit=limit))

            return paged("statements", page, fetch, lambda entry: entry.position)

    def stories(self, page: PageRequest = PageRequest()) -> Page[StorySummary]:
        with self.store.read_connection() as connection:
            return paged(
                "stories",
                page,
                lambda after, limit: queries.story_views(connection, after, limit),
                lambda story: story.key,
            )

    def story(self, key: str) -> StoryView:
        with self.store.read_connection() as connection:
            return _found(queries.story_view(connection, key), f"no story {key!r}")

    def claim(self, key: str, at: PointInTime = NOW) -> ClaimView:
        with self.store.read_connection() as connection:
            return _found(queries.claim_view(connection, key, at), f"no claim {key!r}")

    def claim_and_version(self, key: str) -> tuple[ClaimView, int | None]:
        """The claim's current view and its stream's version, read in one transaction."""
        with self.store.read_connection() as connection:
            view = queries.current_claim_view(connection, self.store.backend, key)
            view = _found(view, f"no claim {key!r}")
            return view, self.store.stream_version_in(connection, claim_stream(key))

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
        with self.store.read_connection() as connection:
            return queries.claim_views(connection)

    def all_actors(self) -> list[ActorSummary]:
        with self.store.read_connection() as connection:
            return queries.actor_views(connection)

    def all_documents(self) -> list[DocumentSummary]:
        with self.store.read_connection() as connection:
            return queries.document_views(connection)

    def statement_entries(self) -> list[StatementEntry]:
        with self.store.read_connection() as connection:
            return queries.statement_entries(connection)

    def actors(self, page: PageRequest = PageRequest()) -> Page[ActorSummary]:
        with self.store.read_connection() as connection:
            return paged(
                "actors",
                page,
                lambda after, limit: queries.actor_views(connection, after, limit),
                lambda actor: actor.key,
            )

    def actor(self, key: str) -> ActorView:
        with self.store.read_connection() as connection:
            return _found(queries.actor_view(connection, key), f"no actor {key!r}")

    def documents(self, page: PageRequest = PageRequest()) -> Page[DocumentSummary]:
        with self.store.read_connection() as connection:
            return paged(
                "documents",
                page,
                lambda after, limit: queries.document_views(connection, after, limit),
                lambda document: document.position,
            )

    def document(self, document_id: str) -> DocumentView:
        with self.store.read_connection() as connection:
            return _found(
                queries.document_view(connection, document_id), f"no document {document_id!r}"
            )

    def anchors(self, document_id: str, exact: str) -> AnchorAnswer:
        """Every occurrence of ``exact`` in the document, with its full anchor."""
        view = self.document(document_id)
        found = anchoring.occurrences(view.text, exact)
        answer = {
            "document": document_id,
            "exact": exact,
            "context": anchoring.CONTEXT,
            "occurrences": [occurrence.to_json() for occurrence in found],
        }
        return trusted(AnchorAnswer, answer)

    def replay(
        self,
        *,
        start: datetime,
        end: datetime,
        axis: Axis,
        claim: str | None = None,
        story: str | None = None,
    ) -> Replay:
        with self.store.read_connection() as connection:
            if claim is not None:
                _found(queries.claim_view(connection, claim), f"no claim {claim!r}")
            if story is not None:
                _found(queries.story_view(connection, story), f"no story {story!r}")
            return timeline(connection, start=start, end=end, axis=axis, claim=claim, story=story)

    def pinned_position(self, known_at: datetime) -> int | None:
        """The log position a view known at ``known_at`` is fixed at, or None if not yet fixed."""
        with self.store.read_connection() as connection:
            return queries.pinned_position(connection, known_at)

    def verify(self) -> Verification:
        return verify(self.store)

    def rebuild_projections(self) -> int:
        return rebuild(self.store)

    def rebuild_tree(self) -> tuple[int, bytes]:
        """Recompute the stored Merkle nodes from the events; the tree's size and root."""
        with self.store.write_transaction() as connection:
            return rebuild_tree(connection)


def _found(value: T | None, message: str) -> T:
    if value is None:
        raise NotFound(message)
    return value
