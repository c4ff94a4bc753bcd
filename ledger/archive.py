"""Export and import of the whole log as JSON Lines, on either backend, in constant memory.

An archive is a header line, then every envelope in position order, each the RFC 8785 canonical
JSON of what ``/v1/events`` shows (so an archive of the same log is the same bytes whatever
database it came from), then every kept signed checkpoint, smallest size first, one a line:
the note as published (the log's signature, then witnesses' cosignatures) and when it was
signed::

    {"format":"claims-ledger-archive","version":1}
    {"data":{...},"event_id":"…","hash":"…","metadata":{...},"position":1,"prev_hash":"000…",…}
    …
    {"checkpoint":"<note>","signed_at":"2026-12-04T19:00:00.000000Z"}
    {"checkpoint":"<note>","signed_at":"…"}

An import writes the events with their stored positions, ids, recorded times and hashes (the
append path's hashing is bypassed), but re-verifies each one before it is written: the position
follows the last, the previous hash links, the hash recomputes from the content, the stream's
version follows its last, recorded time never runs backwards. Everything happens in one
transaction, so a file that does not verify is refused at its first bad line with nothing
written. Each checkpoint is checked by ``CheckpointSource.verify_imported`` in that same
transaction (the Merkle root against the imported events; the tree grows with each batch as
an append grows it) and kept among the target's checkpoints, so export -> import -> export
gives the same bytes. An archive written before the history was exported (one checkpoint
line, without ``signed_at``) still imports; its checkpoint is kept as signed at import time.
The projections are folded from the imported log before the commit.

Memory stays constant in the log's length except for one integer per stream (the version
check), about 100 bytes a stream.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select

from ledger.checkpoints import Checkpoint, CheckpointSource, KeptCheckpoints
from ledger.errors import ArchiveError, LedgerError
from ledger.projections.rebuild import fold_log
from ledger.projections.sql import SqlProjection
from ledger.store import RecordedEvent, SqlEventStore
from ledger.store.records import Chain, canonical_text, format_instant, parse_instant
from ledger.store.rows import PendingRow, insert_rows
from ledger.store.schema import events as events_table

FORMAT = "claims-ledger-archive"
VERSION = 1
HEADER = canonical_text({"format": FORMAT, "version": VERSION})
EXPORT_PAGE = 1000
IMPORT_BATCH = 1000
Progress = Callable[[int], None]  # told how many events were handled since the last call


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import wrote: the events, the chain's head, the newest checkpoint it carried
    and how many checkpoints it kept."""

    events: int
    head_hash: str
    checkpoint: str | None
    projected: int
    checkpoints: int = 0


# -- export ------------------------------------------------------------------------------------


def export_lines(
    store: SqlEventStore,
    checkpoints: CheckpointSource | None = None,
    *,
    progress: Progress | None = None,
) -> Iterator[str]:
    """The archive's lines (without newlines), a page of events at a time.

    The head is read once at the start, so an export taken while the service writes is a
    consistent prefix of the log, and its checkpoints cover no more than that prefix.
    """
    checkpoints = checkpoints or KeptCheckpoints()
    with store.read_connection() as connection:
        head = store.head_position_in(connection)
    yield HEADER
    after = 0
    while after < head:
        page = store.read_page(after=after, limit=min(EXPORT_PAGE, head - after))
        if not page:
            break
        for event in page:
            yield event.canonical_line()
        after = page[-1].position
        if progress is not None:
            progress(len(page))
    with store.read_connection() as connection:
        for kept in checkpoints.kept(connection, head):
            yield checkpoint_line(kept)


def checkpoint_line(checkpoint: Checkpoint) -> str:
    record: dict[str, Any] = {"checkpoint": checkpoint.text}
    if checkpoint.signed_at is not None:
        record["signed_at"] = format_instant(checkpoint.signed_at)
    return canonical_text(record)


def export_size(store: SqlEventStore) -> int:
    """How many events an export would write now (for a progress bar's total)."""
    return store.head_position()


# -- import ------------------------------------------------------------------------------------


def import_lines(
    store: SqlEventStore,
    lines: Iterable[str],
    *,
    checkpoints: CheckpointSource | None = None,
    projection: SqlProjection | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Verify and write an archive into ``store``'s empty log, all or nothing.

    Raises ArchiveError naming the first bad line; the database is then left as it was. With a
    ``projection``, the read models are folded from the imported log in the same transaction.
    """
    checkpoints = checkpoints or KeptCheckpoints()
    with store.write_transaction() as connection:
        _require_empty(connection)
        chain = _ChainCheck()
        kept = _Checkpoints(connection, checkpoints, chain)
        _write_events(store, connection, lines, chain, kept, progress)
        projected = 0 if projection is None else _project(store, connection, projection)
    return ImportReport(chain.position, chain.hash, kept.newest, projected, kept.count)


class _Checkpoints:
    """The archive's checkpoint lines, each verified against the imported events and kept."""

    def __init__(
        self, connection: Connection, source: CheckpointSource, chain: _ChainCheck
    ) -> None:
        self.connection, self.source, self.chain = connection, source, chain
        self.newest: str | None = None
        self.count = 0
        self._last_size = -1

    def take(self, record: dict[str, Any], number: int) -> None:
        checkpoint = _checkpoint(record, number)
        fault = self.source.verify_imported(self.connection, checkpoint.text, self.chain.position)
        if fault is not None:
            raise ArchiveError(f"the checkpoint does not verify: {fault}", number)
        size = _checkpoint_size(checkpoint.text)
        if size is not None and size <= self._last_size:
            raise ArchiveError(
                f"checkpoints come in size order, each once: size {size} after {self._last_size}",
                number,
            )
        self._last_size = size if size is not None else self._last_size
        self.source.keep_imported(self.connection, checkpoint)
        self.newest, self.count = checkpoint.text, self.count + 1


class Log(NamedTuple):
    """A store and the checkpoints kept with it: what an export reads, what an import fills."""

    store: SqlEventStore
    checkpoints: CheckpointSource | None = None


def copy_log(
    source: Log, target: Log, *, projection: SqlProjection | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Export ``source`` straight into ``target``'s empty log: the two steps, with no file."""
    lines = export_lines(source.store, source.checkpoints)
    return import_lines(
        target.store, lines, checkpoints=target.checkpoints, projection=projection,
        progress=progress,
    )


def _project(store: SqlEventStore, connection: Connection, projection: SqlProjection) -> int:
    try:
        return fold_log(store, connection)
    except LedgerError as error:
        raise ArchiveError(f"the events verify, but the projections cannot fold them: {error}")


def _require_empty(connection: Connection) -> None:
    count = connection.execute(select(func.count()).select_from(events_table)).scalar() or 0
    if count:
        raise ArchiveError(
            f"the target database already holds {count} events: import only into an empty one"
        )


def _write_events(
    store: SqlEventStore,
    connection: Connection,
    lines: Iterable[str],
    chain: _ChainCheck,
    kept: _Checkpoints,
    progress: Progress | None,
) -> None:
    """Check and insert every event line in batches, then take the checkpoint lines."""
    numbered = enumerate(lines, start=1)
    _check_header(next(numbered, None))
    batch: list[PendingRow] = []
    in_checkpoints = False
    for number, line in numbered:
        if not line.strip():
            continue
        record = _parse(line, number)
        if "checkpoint" in record:
            if not in_checkpoints:  # every event is written before the first checkpoint
                _flush(store, connection, batch, chain, progress)
                batch, in_checkpoints = [], True
            kept.take(record, number)
            continue
        if in_checkpoints:
            raise ArchiveError("only checkpoint lines may follow the first checkpoint", number)
        batch.append(chain.check(record, number))
        if len(batch) >= IMPORT_BATCH:
            _flush(store, connection, batch, chain, progress)
            batch = []
    _flush(store, connection, batch, chain, progress)


def _flush(
    store: SqlEventStore,
    connection: Connection,
    batch: list[PendingRow],
    chain: _ChainCheck,
    progress: Progress | None,
) -> None:
    if not batch:
        return
    _insert(store, connection, batch, chain)
    if progress is not None:
        progress(len(batch))


def _check_header(first: tuple[int, str] | None) -> None:
    if first is None:
        raise ArchiveError("the archive is empty: no header line", 1)
    record = _parse(first[1], 1)
    if record.get("format") != FORMAT:
        raise ArchiveError(f"not a ledger archive: the first line must be {HEADER}", 1)
    if record.get("version") != VERSION:
        raise ArchiveError(f"archive version {record.get('version')!r}; this ledger reads 1", 1)


def _parse(line: str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise ArchiveError(f"not JSON ({error.msg})", number) from None
    except RecursionError:
        raise ArchiveError("nested too deeply", number) from None
    if not isinstance(record, dict):
        raise ArchiveError("each line is a JSON object", number)
    return record


def _checkpoint(record: dict[str, Any], number: int) -> Checkpoint:
    """A checkpoint line: ``checkpoint`` (the note's text) and ``signed_at`` (archives written
    before the history was exported lack it)."""
    extra = record.keys() - {"checkpoint", "signed_at"}
    if extra:
        raise ArchiveError(f"unknown fields {', '.join(sorted(extra))}", number)
    text = record["checkpoint"]
    if not isinstance(text, str) or not text.strip():
        raise ArchiveError("checkpoint: the signed note's text, a non-empty string", number)
    signed_at = record.get("signed_at")
    try:
        size = _checkpoint_size(text) or 0
        return Checkpoint(size, text, None if signed_at is None else parse_instant(signed_at))
    except ValueError:
        raise ArchiveError(
            "signed_at: an instant like 2024-10-25T19:00:00.000000Z", number
        ) from None


def _checkpoint_size(text: str) -> int | None:
    """The tree size a checkpoint's note names, if it can be read (its form is checked by the
    checkpoint source)."""
    lines = text.split("\n")
    return int(lines[1]) if len(lines) > 2 and lines[1].isdigit() else None


def _insert(
    store: SqlEventStore, connection: Connection, batch: list[PendingRow], chain: _ChainCheck
) -> None:
    """Write one batch; a shortfall means an event id the archive holds twice."""
    inserted = insert_rows(connection, store.backend, batch)
    if inserted == len(batch):
        # The Merkle tree grows with the log, as an append grows it.
        old_size = batch[0].event.position - 1
        store.tree.extend(connection, old_size, [row.event.hash for row in batch])
        return
    ids = [row.event.event_id for row in batch]
    stored = dict(
        connection.execute(
            select(events_table.c.event_id, events_table.c.position).where(
                events_table.c.event_id.in_(ids)
            )
        ).all()
    )
    for row in batch:
        if stored.get(row.event.event_id) != row.event.position:
            line = chain.line_of(row.event.position)
            raise ArchiveError(f"event_id {row.event.event_id} appears earlier", line)
    raise ArchiveError("an event id appears twice", chain.last_line)


class _ChainCheck:
    """The running state of the verification: the chain (``Chain``, as ``ledger verify`` walks
    it), recorded time and each stream's version."""

    def __init__(self) -> None:
        self.chain = Chain()
        self.recorded_at: datetime | None = None
        self.versions: dict[str, int] = {}
        self.last_line = 1
        self._line_offset = 1  # line number minus position, for the lines so far

    @property
    def position(self) -> int:
        return self.chain.position

    @property
    def hash(self) -> str:
        return self.chain.hash

    def line_of(self, position: int) -> int:
        return position + self._line_offset

    def check(self, record: dict[str, Any], number: int) -> PendingRow:
        """The record as a row to insert, once every link and hash checks out."""
        try:
            event = RecordedEvent.from_json(record)
        except ValueError as error:
            raise ArchiveError(str(error), number) from None
        data_text, metadata_text = canonical_text(event.data), canonical_text(event.metadata)
        fault = self.chain.fault(event, data_text, metadata_text, also=self._time_and_version)
        if fault is not None:
            raise ArchiveError(f"position {event.position}: {fault}", number)
        self.chain.take(event)
        self.recorded_at = event.recorded_at
        self.versions[event.stream] = event.version
        self.last_line, self._line_offset = number, number - event.position
        return PendingRow(event, data_text, metadata_text)

    def _time_and_version(self, event: RecordedEvent) -> str | None:
        if self.recorded_at is not None and event.recorded_at < self.recorded_at:
            return "recorded_at runs backwards"
        expected = self.versions.get(event.stream, 0) + 1
        if event.version != expected:
            return f"stream {event.stream!r} version {event.version}, expected {expected}"
        return None
