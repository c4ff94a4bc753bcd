"""The append-only event store, written once over SQLAlchemy Core for every backend."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, RootTransaction, func, select, text
from sqlalchemy.exc import DBAPIError

from ledger.errors import ConcurrencyError, EventIdConflict, InvalidEvent
from ledger.store.backend import Backend
from ledger.store.pipeline import (
    Append,
    AppendPipeline,
    CanonicalTexts,
    Planned,
    Projector,
    Sealer,
    chain,
    check_expected_version,
    encode,
    stored_retry,
    validate_stream,
)
from ledger.store.records import ANY, ExpectedVersion, NewEvent, RecordedEvent
from ledger.store.rows import (
    insert_rows,
    read_event_row,
    read_head,
    read_rows,
    read_stream_rows,
)
from ledger.store.schema import events as events_table
from ledger.store.tree import TreeWriter

Clock = Callable[[], datetime]
CommitListener = Callable[[int], None]
WriteTimer = Callable[[float, bool], None]
log = logging.getLogger("ledger.store")
T = TypeVar("T")
READ_PAGE = 500


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoreHooks:
    """What the store calls as it writes, given when it is made (never set from outside).

    ``projectors`` fold each batch inside its transaction; ``sealer`` signs a batch holding a
    write that asked for a receipt; ``commit_listeners`` are told of every durable group
    commit (its batch size) and ``write_timers`` of every write's duration and outcome (True
    when it returned a result), both from the committing thread: metrics and the live feed's
    wake-up. Listeners and timers must be quick and must not raise.
    """

    projectors: Sequence[Projector] = ()
    sealer: Sealer | None = None
    commit_listeners: Sequence[CommitListener] = ()
    write_timers: Sequence[WriteTimer] = ()


class SqlEventStore:
    """Appends, reads and the integrity walk over one database."""

    def __init__(
        self,
        engine: Engine,
        backend: Backend,
        *,
        clock: Clock = utc_now,
        hooks: StoreHooks = StoreHooks(),
    ) -> None:
        self.engine = engine
        self.backend = backend
        self.clock = clock
        self._append_lock = threading.Lock()
        self._commit_listeners = tuple(hooks.commit_listeners)
        self._write_timers = tuple(hooks.write_timers)
        # Every append goes through it: it folds into the projectors and has the sealer sign.
        self.pipeline = AppendPipeline(
            self, projectors=hooks.projectors, sealer=hooks.sealer, after_commit=self._committed
        )
        self.tree = TreeWriter(backend)
        self._writer: Connection | None = None
        self._driver_errors: tuple[type[Exception], ...] = (DBAPIError, *backend.driver_errors)

    # -- writing -----------------------------------------------------------------------------

    def append(
        self,
        stream: str,
        events: Sequence[NewEvent],
        *,
        expected_version: ExpectedVersion = ANY,
        seal: bool = False,
    ) -> list[RecordedEvent]:
        """Append ``events`` to ``stream`` atomically, or return them as stored on a retry.

        Raises ConcurrencyError when the stream is not at ``expected_version`` and EventIdConflict
        when an event id is stored with other content; either way nothing is written.
        """
        validate_stream(stream)
        if not events:
            raise InvalidEvent("events", "at least one event is needed")
        planned = Planned(stream, events, encode(events), expected_version)
        return self.submit(Append(planned), seal=seal)

    def submit(self, append: Append, *, seal: bool = False) -> list[RecordedEvent]:
        """Have the pipeline write ``append`` (in a batch with concurrent ones); once durable,
        its recorded events. ``seal``: the batch's commit signs a checkpoint covering it."""
        return self._timed(lambda: self.pipeline.append(append, seal=seal))

    def write(self, work: Callable[[Connection], T], *, seal: bool = False) -> T:
        """Run ``work`` (not an append: a checkpoint's row, a cosignature) in the next batch's
        write transaction; return once durable. A LedgerError from it undoes its writes only."""
        return self._timed(lambda: self.pipeline.run(work, seal=seal))

    def _timed(self, write: Callable[[], T]) -> T:
        started = time.perf_counter()
        ok = False
        try:
            result = write()
            ok = True
            return result
        finally:
            elapsed = time.perf_counter() - started
            for timer in self._write_timers:
                timer(elapsed, ok)

    def _committed(self, batch_size: int) -> None:
        for listener in self._commit_listeners:
            try:
                listener(batch_size)
            except Exception:  # noqa: BLE001 - a listener never fails a durable write
                log.exception("a commit listener failed")

    @contextmanager
    def write_transaction(self) -> Iterator[Connection]:
        """A transaction of its own holding the append lock, for work that must run alone."""
        with self._append_lock, self.translated_errors():
            connection, transaction = self._begin_write()
            try:
                yield connection
                transaction.commit()
            except self._driver_errors:
                self._close_writer()  # it may be broken; closing rolls back what it can
                raise
            except BaseException:
                transaction.rollback()
                raise
            finally:
                if connection.invalidated:
                    self._close_writer()

    def _begin_write(self) -> tuple[Connection, RootTransaction]:
        """Begin a write and take the append lock, on a fresh connection if the kept one died.

        A connection the database dropped (a restart, an idle timeout, a terminated session) is
        only found out by the next statement. Failing here, before any work, nothing is written,
        so one retry on a new connection is safe; a second failure is the caller's to hear.
        """
        for attempt in range(2):
            connection = self._writer_connection()
            try:
                transaction = connection.begin()
                self.backend.lock_for_append(connection)
                return connection, transaction
            except self._driver_errors:
                self._close_writer()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _writer_connection(self) -> Connection:
        """The one connection appends use, kept open: only the append lock's holder touches it.

        Checking a connection out of the pool for every append would cost more than the
        append's own statements; a broken connection is dropped and reopened on the next write.
        """
        if self._writer is None or self._writer.closed:
            self._writer = self.engine.connect().execution_options(ledger_write=True)
        return self._writer

    def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            try:
                writer.close()
            except self._driver_errors:
                pass  # the rollback of a lost connection fails; SQLAlchemy has dropped it

    def append_in(
        self,
        connection: Connection,
        stream: str,
        events: Sequence[NewEvent],
        *,
        expected_version: ExpectedVersion = ANY,
        texts: Sequence[CanonicalTexts] | None = None,
    ) -> list[RecordedEvent]:
        """``append`` inside a write transaction (``write`` or ``write_transaction``).

        ``texts``: the events' ``canonical_texts``, when the caller encoded them before the
        append lock (under it, concurrent writers wait for each other's encoding).
        A LedgerError leaves the transaction to be rolled back by the caller: nothing is kept.
        """
        head = read_head(connection, self.backend, stream)
        try:
            check_expected_version(stream, expected_version, head.version)
        except ConcurrencyError:
            retry = self.stored_retry(connection, stream, events)
            if retry is None:
                raise
            return retry
        rows = chain(stream, events, head, encode(events) if texts is None else texts, self.clock())
        inserted = insert_rows(connection, self.backend, rows)
        if inserted < len(rows):
            return self._retry_or_conflict(connection, stream, events, inserted)
        recorded = [row.event for row in rows]
        self.tree.extend(connection, head.position, [event.hash for event in recorded])
        payloads = [event.payload for event in events]
        data_texts = [row.data_text for row in rows]
        for projector in self.pipeline.projectors:
            projector.apply(connection, recorded, payloads, data_texts)
        return recorded

    def _retry_or_conflict(
        self, connection: Connection, stream: str, events: Sequence[NewEvent], inserted: int
    ) -> list[RecordedEvent]:
        """Some event ids were stored already: a retry of the whole append, or a conflict.

        A retry writes nothing; an append that wrote some rows and not others is a conflict,
        and raising rolls back the rows it did write.
        """
        retry = None if inserted else self.stored_retry(connection, stream, events)
        if retry is None:
            raise EventIdConflict(events[0].event_id)
        return retry

    def stored_retry(
        self, connection: Connection, stream: str, events: Sequence[NewEvent]
    ) -> list[RecordedEvent] | None:
        """The events as stored, when every one of their ids is (a retry); None when none is."""
        found = [self.get_event_in(connection, event.event_id) for event in events]
        return stored_retry(events, {e.event_id: e for e in found if e is not None}, stream)

    # -- reading -----------------------------------------------------------------------------

    def read_stream(
        self, stream: str, *, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        """A stream's events from ``from_version`` on, in version order."""
        with self.read_connection() as connection:
            return read_stream_rows(connection, self.backend, stream, from_version, limit)

    def read_all(
        self, *, after: int = 0, limit: int | None = None, page_size: int = READ_PAGE
    ) -> Iterator[RecordedEvent]:
        """The log in position order after ``after``, fetched a page at a time."""
        remaining = limit
        while remaining is None or remaining > 0:
            size = page_size if remaining is None else min(page_size, remaining)
            page = self.read_page(after=after, limit=size)
            yield from page
            if len(page) < size:
                return
            after = page[-1].position
            remaining = None if remaining is None else remaining - len(page)

    def read_page(self, *, after: int = 0, limit: int = READ_PAGE) -> list[RecordedEvent]:
        """One page of the log after position ``after``."""
        with self.read_connection() as connection:
            return self.read_page_in(connection, after=after, limit=limit)

    def read_page_in(
        self, connection: Connection, *, after: int = 0, limit: int = READ_PAGE
    ) -> list[RecordedEvent]:
        """``read_page`` on a connection the caller holds (inside a write transaction, say)."""
        return read_rows(connection, self.backend, after, limit)

    def read_recorded_between(self, start: datetime, end: datetime) -> Iterator[RecordedEvent]:
        """Events the ledger recorded in ``[start, end)``, in position order."""
        after = self._last_position_before(start)
        for event in self.read_all(after=after):
            if event.recorded_at >= end:
                return
            yield event

    def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None:
        """One event by id, or None."""
        with self.read_connection() as connection:
            return self.get_event_in(connection, event_id)

    def get_event_in(self, connection: Connection, event_id: uuid.UUID) -> RecordedEvent | None:
        """``get_event`` on a connection the caller holds."""
        return read_event_row(connection, self.backend, event_id)

    def stream_version(self, stream: str) -> int | None:
        """The stream's last version, or None when it has no events."""
        with self.read_connection() as connection:
            return self._stream_version(connection, stream)

    def stream_version_in(self, connection: Connection, stream: str) -> int | None:
        """``stream_version`` on a connection the caller holds (beside a view it reads)."""
        return self._stream_version(connection, stream)

    def head_position(self) -> int:
        """The position of the last event, 0 for an empty log."""
        with self.read_connection() as connection:
            return self.head_position_in(connection)

    @staticmethod
    def head_position_in(connection: Connection) -> int:
        """``head_position`` on a connection the caller holds."""
        return connection.execute(select(func.max(events_table.c.position))).scalar() or 0

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A connection for reads, with driver errors translated."""
        with self.translated_errors(), self.engine.connect() as connection:
            yield connection

    def _last_position_before(self, instant: datetime) -> int:
        with self.read_connection() as connection:
            return last_position_recorded(connection, instant, inclusive=False)

    @staticmethod
    def _stream_version(connection: Connection, stream: str) -> int | None:
        query = select(func.max(events_table.c.version)).where(events_table.c.stream == stream)
        return connection.execute(query).scalar()

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        """Turn the driver errors we understand into the ledger's own."""
        try:
            yield
        except self._driver_errors as error:
            translated = self.backend.translate(error)  # type: ignore[arg-type]
            if translated is None:
                raise
            raise translated from error

    # -- health --------------------------------------------------------------------------------
    # Probes report the driver's own failure (readiness shows its kind), so they skip the
    # translation every other read and write goes through.

    def probe_reachable(self) -> None:
        """Raise unless the database answers a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at, None before the first migration."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def probe_writable(self) -> None:
        """A trial write on the appends' own connection, under the append lock, rolled back.

        It meets the same locks, limits and file as an append (a full SQLite file, a read-only
        file or session, a standby); raises the translated error when the database refuses it.
        """
        try:
            with self.write_transaction() as connection:
                connection.exec_driver_sql(self.backend.probe_sql())
                raise _RollBack
        except _RollBack:
            pass

    def close(self) -> None:
        with self._append_lock:
            self._close_writer()
        self.engine.dispose()


class _RollBack(Exception):
    """Ends a probe's write transaction without committing it."""


def last_position_recorded(connection: Connection, instant: datetime, *, inclusive: bool) -> int:
    """The last position recorded before ``instant`` (at or before it, if ``inclusive``); 0 if none."""
    recorded_at = events_table.c.recorded_at
    bound = recorded_at <= instant if inclusive else recorded_at < instant
    query = (
        select(events_table.c.position)
        .where(bound)
        .order_by(recorded_at.desc(), events_table.c.position.desc())
        .limit(1)
    )
    return connection.execute(query).scalar() or 0
