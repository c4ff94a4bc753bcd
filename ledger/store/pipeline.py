"""The append pipeline: the one way an event gets into the log, read top to bottom.

1. **check**: the writer's own (``ledger.service``), before any lock, against the registry
   as committed; registrations are append-only, so a cache of them answers most checks.
2. **encode**: ``encode`` turns each event's data and metadata into canonical JSON, once, before
   the lock (under it, concurrent writers would wait for each other's encoding).
3. **commit a batch**: concurrent appends are gathered (``group_commit``) and written under the
   append lock in one transaction: the tail and each stream's version read once, expected
   versions checked in memory, the events chained and hashed, **one** INSERT (executemany), one
   Merkle tree extension, one projection fold over the batch from the typed payloads, one seal
   (a signed checkpoint, when a writer asked for a receipt) and one commit. An append refused
   in the batch (a version conflict, a state its plan found) has written nothing, so it is
   answered with its error and the others go on, with no savepoint. A database error, or an
   event id the batch cannot place (a retry, or a conflict between its own members), rolls
   the batch back and its members are written one by one.
4. **answer**: each writer gets its recorded events (or its stored retry) once the commit is
   durable; the seal's checkpoint covers all of them.

The hooks (the projectors that fold, the sealer that signs, what runs after a commit) are
given to the constructor; nothing is installed from outside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import rfc8785
from sqlalchemy import Connection

from ledger.errors import ConcurrencyError, EventIdConflict, InvalidEvent, LedgerError
from ledger.store.backend import dbapi
from ledger.store.group_commit import GroupCommitter, Write
from ledger.store.records import (
    ANY,
    NO_STREAM,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    canonical_text,
    envelope_hash,
)
from ledger.store.rows import Head, PendingRow, insert_rows, read_head, read_stream_version

if TYPE_CHECKING:
    from ledger.store.sql import SqlEventStore

log = logging.getLogger("ledger.store")
CanonicalTexts = tuple[str, str]
OnDurable = Callable[[], None]
Recorded = Sequence[RecordedEvent]
Payloads = Sequence[object]
SAVEPOINT = "ledger_work"


class Projector(Protocol):
    """Keeps a read model in step with the log, inside the append's own transaction (declared
    here, where it is called; ``ledger.projections.sql.SqlProjection`` is the one the ledger runs)."""

    def apply(
        self,
        connection: Connection,
        recorded: Recorded,
        payloads: Payloads,
        data_texts: Sequence[str] = (),
    ) -> None:
        """Fold newly recorded events into the read model; raise to refuse the whole append.

        ``payloads`` are the events' typed payloads, one each (None where a writer gave none);
        ``data_texts`` their data's canonical JSON as the log stores it (``encode``), one each,
        or none: what the fold keeps as JSON it need not encode again.
        """
        ...


class Sealer(Protocol):
    """Signs the tree as a batch leaves it, inside that batch's own transaction."""

    def seal(self, connection: Connection) -> OnDurable | None:
        """Run after a batch's writes, before its commit; return what to run once it is durable."""
        ...


# -- the request -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Planned:
    """Events to append to one stream, encoded (``texts``), at the version the writer expects.

    ``refusal`` turns a version conflict into the writer's own error (a second registration of a
    stream is a StateConflict, not a ConcurrencyError).
    """

    stream: str
    events: Sequence[NewEvent]
    texts: Sequence[CanonicalTexts]
    expected_version: ExpectedVersion = ANY
    refusal: Callable[[ConcurrencyError], LedgerError] | None = None

    def refused(self, conflict: ConcurrencyError) -> LedgerError:
        return conflict if self.refusal is None else self.refusal(conflict)


# What an append decides under the lock: events to append, or the stored events of a retry.
Plan = Callable[[Connection], "Planned | list[RecordedEvent]"]


@dataclass(frozen=True, slots=True)
class Append:
    """One writer's append as the commit stage takes it.

    ``plan`` is fixed, or a function run under the append lock (what depends on the stream's
    state: a statement's standing version, a claim's story). ``reads_state``: the plan reads the
    projections, so the appends before it in its batch are folded first.
    """

    plan: Planned | Plan
    reads_state: bool = False

    def planned(self, connection: Connection) -> Planned | list[RecordedEvent]:
        return self.plan if isinstance(self.plan, Planned) else self.plan(connection)


def encode(events: Sequence[NewEvent]) -> list[CanonicalTexts]:
    """Each event's data and metadata as canonical JSON: what is stored and hashed. Raises
    InvalidEvent for a value either backend could not store alike."""
    return [(_canonical(e.data, "data"), _canonical(e.metadata, "metadata")) for e in events]


def _canonical(value: Any, field: str) -> str:
    """The canonical JSON of ``value``, refusing what either backend could not store alike."""
    try:
        text = canonical_text(value)
    except (ValueError, TypeError, rfc8785.CanonicalizationError) as error:
        raise InvalidEvent(field, f"not representable as canonical JSON: {error}") from None
    if "\\u0000" in text:  # PostgreSQL's jsonb refuses NUL; SQLite would keep it
        raise InvalidEvent(field, "a NUL character cannot be stored")
    return text


def validate_stream(stream: str) -> None:
    if not isinstance(stream, str) or not 1 <= len(stream) <= 200 or not stream.isprintable():
        raise InvalidEvent("stream", "a stream name is 1 to 200 printable characters")


def check_expected_version(stream: str, expected: ExpectedVersion, current: int | None) -> None:
    """Raise ConcurrencyError unless the stream is where the caller expects it."""
    if expected == ANY:
        return
    if expected == NO_STREAM or expected == 0:
        if current is not None:
            raise ConcurrencyError(stream, NO_STREAM, current)
        return
    if not isinstance(expected, int) or isinstance(expected, bool) or expected < 0:
        raise InvalidEvent("expected_version", "'any', 'no_stream' or a version number")
    if current != expected:
        raise ConcurrencyError(stream, expected, current)


def stored_retry(
    events: Sequence[NewEvent], stored: Mapping[Any, RecordedEvent], stream: str
) -> list[RecordedEvent] | None:
    """The events as ``stored`` (by id) when each is stored with the same content: a retry.
    None when none of them is stored; EventIdConflict when some are, or differ."""
    if not any(event.event_id in stored for event in events):
        return None
    for event in events:
        match = stored.get(event.event_id)
        if match is None or not match.same_content_as(event, stream):
            raise EventIdConflict(event.event_id)
    return [stored[event.event_id] for event in events]


def chain(
    stream: str,
    events: Sequence[NewEvent],
    head: Head,
    texts: Sequence[CanonicalTexts],
    now: datetime,
) -> list[PendingRow]:
    """The events as rows after ``head``: numbered, timed, and each hashed onto the one before.

    Recorded time never runs backwards along the log: it is ``now`` or the tail's, if later.
    """
    recorded_at = now if head.recorded_at is None else max(now, head.recorded_at)
    rows: list[PendingRow] = []
    position, prev_hash, version = head.position, head.hash, head.version or 0
    for event, (data_text, metadata_text) in zip(events, texts, strict=True):
        position, version = position + 1, version + 1
        fields: dict[str, Any] = dict(
            position=position,
            event_id=event.event_id,
            stream=stream,
            version=version,
            type=event.type,
            recorded_at=recorded_at,
            prev_hash=prev_hash,
        )
        prev_hash = envelope_hash(**fields, data_text=data_text, metadata_text=metadata_text)
        recorded = RecordedEvent(**fields, data=event.data, metadata=event.metadata, hash=prev_hash)
        rows.append(PendingRow(recorded, data_text, metadata_text))
    return rows


# -- the commit stage --------------------------------------------------------------------------


class _Unplaceable(Exception):
    """The batch holds an event id it cannot place by itself: its members go one by one."""


class _Batch:
    """The appends of one batch as they are planned, chained and written under the lock."""

    def __init__(self, pipeline: AppendPipeline, connection: Connection) -> None:
        self.pipeline, self.connection = pipeline, connection
        self.tail: Head | None = None  # the log's tail, read once, then advanced in memory
        self.versions: dict[str, int | None] = {}  # each stream's version, read once
        self.rows: list[PendingRow] = []
        self.payloads: list[object] = []
        self.members: list[tuple[Write[Any], int, int]] = []  # a writer and its rows' slice
        self.ids: set[Any] = set()
        self.written_from: int | None = None  # the tree's size before the unflushed rows

    def take(self, write: Write[Any]) -> None:
        """Plan and chain one writer's append; its refusal is its own answer."""
        item = write.item
        if not isinstance(item, Append):
            self._work(write, item)
            return
        if item.reads_state:
            self.flush()
        try:
            planned = item.planned(self.connection)
            if isinstance(planned, Planned):
                self._chain(write, planned)
            else:
                write.answer(planned)
        except LedgerError as error:
            write.refuse(error)

    def _chain(self, write: Write[Any], planned: Planned) -> None:
        stream, events = planned.stream, planned.events
        if any(event.event_id in self.ids for event in events):
            raise _Unplaceable  # the same event twice in one batch: one by one sorts it out
        head = self._head(stream)
        try:
            check_expected_version(stream, planned.expected_version, head.version)
        except ConcurrencyError as conflict:
            retry = self.pipeline.store.stored_retry(self.connection, stream, events)
            if retry is None:
                raise planned.refused(conflict) from None
            write.answer(retry)
            return
        rows = chain(stream, events, head, planned.texts, self.pipeline.store.clock())
        if self.written_from is None:
            self.written_from = head.position
        last = rows[-1].event
        self.tail = Head(None, last.position, last.hash, last.recorded_at)
        self.versions[stream] = last.version
        self.members.append((write, len(self.rows), len(self.rows) + len(rows)))
        self.rows += rows
        self.payloads += [event.payload for event in events]
        self.ids.update(event.event_id for event in events)

    def _head(self, stream: str) -> Head:
        """The tail and the stream's version: one query the first time, memory after."""
        store = self.pipeline.store
        if self.tail is None:
            head = read_head(self.connection, store.backend, stream)
            self.tail = Head(None, head.position, head.hash, head.recorded_at)
            self.versions[stream] = head.version
        elif stream not in self.versions:
            self.versions[stream] = read_stream_version(self.connection, store.backend, stream)
        tail = self.tail
        return Head(self.versions[stream], tail.position, tail.hash, tail.recorded_at)

    def flush(self) -> None:
        """Write the chained rows: one INSERT, one tree extension, one fold; answer their writers."""
        if not self.rows:
            return
        store, rows = self.pipeline.store, self.rows
        if insert_rows(self.connection, store.backend, rows) < len(rows):
            raise _Unplaceable  # an event id stored already: a retry, or a conflict
        recorded = [row.event for row in rows]
        data_texts = [row.data_text for row in rows]
        assert self.written_from is not None
        store.tree.extend(self.connection, self.written_from, [event.hash for event in recorded])
        for projector in self.pipeline.projectors:
            projector.apply(self.connection, recorded, self.payloads, data_texts)
        for write, start, end in self.members:
            write.answer(recorded[start:end])
        self.rows, self.payloads, self.members, self.written_from = [], [], [], None

    def _work(self, write: Write[Any], work: Callable[[Connection], Any]) -> None:
        """Work that is not an append (keeping a checkpoint, a cosignature) after the appends
        before it, in a savepoint released after it, so its refusal undoes its own statements."""
        self.flush()
        self.tail, self.versions = None, {}  # it may have written anything: read again
        driver = dbapi(self.connection)
        driver.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            write.answer(work(self.connection))
        except LedgerError as error:
            driver.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            write.refuse(error)
        driver.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")


class AppendPipeline:
    """Commits batches of appends for one store, with its hooks, and answers their writers."""

    def __init__(
        self,
        store: SqlEventStore,
        *,
        projectors: Sequence[Projector] = (),
        sealer: Sealer | None = None,
        after_commit: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.projectors = tuple(projectors)
        self.sealer = sealer
        self._after_commit = after_commit
        self._committer = GroupCommitter(self.commit)

    def append(self, append: Append, *, seal: bool = False) -> list[RecordedEvent]:
        """Write ``append`` in the next batch; its recorded events (or stored retry) once durable.

        ``seal``: the batch's commit signs a checkpoint covering it (when there is a sealer).
        """
        return self._committer.run(append, seal=seal)  # type: ignore[no-any-return]

    def run(self, work: Callable[[Connection], Any], *, seal: bool = False) -> Any:
        """Run ``work`` (not an append) in the next batch's transaction; its result once durable."""
        return self._committer.run(work, seal=seal)

    def commit(self, writes: Sequence[Write[Any]]) -> None:
        """Write a batch in one transaction; on a database error, or an event id it cannot
        place, write its members one by one instead."""
        try:
            on_durable = self._commit_batch(writes)
        except _Unplaceable:
            self._one_by_one(writes)
            return
        except BaseException as error:  # noqa: BLE001 - the transaction failed: nothing is kept
            if len(writes) > 1:
                self._one_by_one(writes)
                return
            for write in writes:
                if not isinstance(write.error, LedgerError) or write.error is error:
                    write.refuse(error)
            return
        self._durable(on_durable, len(writes))

    def _commit_batch(self, writes: Sequence[Write[Any]]) -> OnDurable | None:
        with self.store.write_transaction() as connection:
            batch = _Batch(self, connection)
            for write in writes:
                batch.take(write)
            batch.flush()
            return self._seal(connection, writes)

    def _one_by_one(self, writes: Sequence[Write[Any]]) -> None:
        for write in writes:
            try:
                on_durable = self._commit_alone(write)
            except BaseException as error:  # noqa: BLE001 - this writer's own failure
                write.refuse(error)
                continue
            self._durable(on_durable, 1)

    def _commit_alone(self, write: Write[Any]) -> OnDurable | None:
        """One writer's append (or work) in a transaction of its own, retries recognised."""
        with self.store.write_transaction() as connection:
            item = write.item
            if not isinstance(item, Append):
                write.answer(item(connection))
            else:
                planned = item.planned(connection)
                write.answer(
                    planned
                    if not isinstance(planned, Planned)
                    else self._alone(connection, planned)
                )
            return self._seal(connection, [write])

    def _alone(self, connection: Connection, planned: Planned) -> list[RecordedEvent]:
        try:
            return self.store.append_in(
                connection,
                planned.stream,
                planned.events,
                expected_version=planned.expected_version,
                texts=planned.texts,
            )
        except ConcurrencyError as conflict:
            raise planned.refused(conflict) from None

    def _seal(self, connection: Connection, writes: Sequence[Write[Any]]) -> OnDurable | None:
        wanted = any(write.seals and write.error is None for write in writes)
        return self.sealer.seal(connection) if wanted and self.sealer is not None else None

    def _durable(self, on_durable: OnDurable | None, size: int) -> None:
        if on_durable is not None:
            on_durable()
        if self._after_commit is not None:
            self._after_commit(size)
