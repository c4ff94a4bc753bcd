"""What the service asks of an event store, and an in-memory one for tests without a database.

``SqlEventStore`` (``ledger.store``) is the store the ledger runs on; ``MemoryEventStore`` keeps
the same promises in lists and dictionaries (versions checked, events chained and hashed, a
retry of a stored event id answered with the stored events), so the service's write path can
be tested on it, with ``ledger.registry.MemoryRegistry`` folding what it appends.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from typing import Any, Protocol

from ledger.domain import events as domain
from ledger.domain.validation import DocumentFacts
from ledger.errors import ConcurrencyError, EventIdConflict
from ledger.registry import MemoryRegistry, StatementFacts
from ledger.store.pipeline import Append, Planned, chain, check_expected_version, stored_retry
from ledger.store.records import GENESIS_HASH, RecordedEvent
from ledger.store.rows import Head

Clock = Callable[[], datetime]
Fold = Callable[[Sequence[RecordedEvent], Sequence[object]], None]


class EventStore(Protocol):
    """What the service needs of a store: its clock, a read view, the append pipeline, events."""

    def clock(self) -> datetime: ...

    def read_connection(self) -> AbstractContextManager[Any]: ...

    def submit(self, append: Append, *, seal: bool = False) -> list[RecordedEvent]: ...

    def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None: ...

    def get_event_in(self, connection: Any, event_id: uuid.UUID) -> RecordedEvent | None: ...

    def read_stream(
        self, stream: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]: ...


class MemoryEventStore:
    """An ``EventStore`` in memory: one append at a time, each folded into ``folds``.

    Its "connection" is None: the plans a writer hands over read the registry they were given.
    """

    def __init__(self, *, clock: Clock = lambda: datetime.now(UTC), folds: Sequence[Fold] = ()):
        self.clock = clock
        self.events: list[RecordedEvent] = []
        self._by_id: dict[uuid.UUID, RecordedEvent] = {}
        self._versions: dict[str, int] = {}
        self._folds = tuple(folds)
        self._lock = threading.Lock()

    @contextmanager
    def read_connection(self) -> Iterator[None]:
        yield None

    def submit(self, append: Append, *, seal: bool = False) -> list[RecordedEvent]:
        with self._lock:
            planned = append.planned(None)  # type: ignore[arg-type]
            return planned if not isinstance(planned, Planned) else self._append(planned)

    def _append(self, planned: Planned) -> list[RecordedEvent]:
        stream, events = planned.stream, planned.events
        try:
            check_expected_version(stream, planned.expected_version, self._versions.get(stream))
        except ConcurrencyError as conflict:
            retry = stored_retry(events, self._by_id, stream)
            if retry is None:
                raise planned.refused(conflict) from None
            return retry
        if any(event.event_id in self._by_id for event in events):
            retry = stored_retry(events, self._by_id, stream)
            if retry is None:
                raise EventIdConflict(events[0].event_id)
            return retry
        recorded = [
            row.event
            for row in chain(stream, events, self._head(stream), planned.texts, self.clock())
        ]
        self.events += recorded
        self._by_id.update((event.event_id, event) for event in recorded)
        self._versions[stream] = recorded[-1].version
        for fold in self._folds:
            fold(recorded, [event.payload for event in events])
        return recorded

    def _head(self, stream: str) -> Head:
        if not self.events:
            return Head(None, 0, GENESIS_HASH, None)
        tail = self.events[-1]
        return Head(self._versions.get(stream), tail.position, tail.hash, tail.recorded_at)

    def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None:
        return self._by_id.get(event_id)

    def get_event_in(self, connection: Any, event_id: uuid.UUID) -> RecordedEvent | None:
        return self._by_id.get(event_id)

    def read_stream(
        self, stream: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        found = [e for e in self.events if e.stream == stream and e.version >= from_version]
        return found if limit is None else found[:limit]


def registry_fold(registry: MemoryRegistry) -> Fold:
    """What ``MemoryEventStore`` appends, folded into ``registry`` (the write path's view of
    the projections: registrations, statements' newest versions, their said times)."""

    def fold(recorded: Sequence[RecordedEvent], payloads: Sequence[object]) -> None:
        for event, payload in zip(recorded, payloads, strict=True):
            _fold_one(registry, event, payload)

    return fold


def _fold_one(registry: MemoryRegistry, event: RecordedEvent, payload: object) -> None:
    match payload:
        case domain.ActorRegistered():
            registry.actors.add(payload.key)
        case domain.ClaimRegistered():
            registry.claims[payload.key] = payload.story
        case domain.StoryRegistered():
            registry.stories.add(payload.key)
            registry.claims.update(dict.fromkeys(payload.claims, payload.key))
        case domain.DocumentRegistered():
            registry.documents[payload.document_id] = DocumentFacts(
                payload.document_id, payload.publisher, payload.text, payload.dated
            )
        case domain.StatementRecorded():
            _new_version(
                registry, event.event_id, event.event_id, payload.claim, payload.said_at.start()
            )
        case domain.StatementCorrected():
            statement = payload.statement
            root = payload.statement_id
            _new_version(registry, root, event.event_id, statement.claim, statement.said_at.start())
        case domain.StatementRetracted():
            standing = registry.versions[payload.statement_id]
            ended = StatementFacts(standing.statement_id, standing.claim, "retracted")
            registry.versions.update(
                (key, ended) for key, facts in registry.versions.items() if facts == standing
            )


def _new_version(
    registry: MemoryRegistry,
    root: uuid.UUID,
    version: uuid.UUID,
    claim: str,
    said: datetime | date | None,
) -> None:
    """The statement ``root``'s newest version is ``version``, named by either id."""
    newest = StatementFacts(root, claim, None)
    old = registry.versions.get(root)
    registry.versions.update(
        (key, newest) for key, facts in registry.versions.items() if facts == old
    )
    registry.versions[root] = registry.versions[version] = newest
    if isinstance(said, datetime):
        registry.said[root] = said
    else:
        registry.said.pop(root, None)
