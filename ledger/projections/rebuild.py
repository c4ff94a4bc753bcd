"""The bulk path: every projection table refilled from the whole log in one transaction.

The live projection folds each append into the stored tables, reading and writing a claim's
derivation every time. A rebuild has the whole log before it, so it folds in memory instead:
the log is read in large pages, statement versions go in with one executemany per page, each
claim's derivation is kept in memory and written once at the end, and the secondary indexes
are built after the load rather than maintained row by row. Each event goes through the same
fold core as the live path (``fold.fold``: what the event changes), and derivations use the
same pure functions (``derive.extend_claim`` and ``derive.derive_claim``), so both give the same
tables; the property test checks it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, delete, insert, text

from ledger.projections import rows, search
from ledger.projections.derive import (
    EMPTY_CLAIM,
    ClaimDerivation,
    StatementVersion,
    derive_claim,
    extend_claim,
)
from ledger.projections.fold import Ended, Opened, Registered, fold, recorded
from ledger.projections.schema import (
    PROJECTION_TABLES,
    claims,
    documents,
    stances,
    statement_versions,
)
from ledger.projections.sql import POSITION_NAME, standing_versions
from ledger.store import Backend, RecordedEvent, SqlEventStore
from ledger.store.backend import dbapi
from ledger.store.schema import column_list

PAGE = 5_000
"""Events read and folded at a time: large enough that per-page costs vanish, small enough
that a page (events and their versions) stays a few tens of megabytes."""
CLAIMS_AT_ONCE = 1_000
"""Claims written per statement at the end: their rows and stance JSON are built a batch at a
time, not all at once."""

SQLITE_BULK = {"cache_size": -16_384}
"""16 MB of page cache (the default is 2 MB). Not more, and temporary b-trees stay on disk: at 1M
events the rebuild peaks at about 270 MB already, and an index build's sort held in memory
(``temp_store = MEMORY``) would grow with the log past the 300 MB bound."""
POSTGRES_MAINTENANCE_MEMORY = "128MB"

# Built after the load. The statement_id index stays: a retraction or correction finds the
# version it ends through it while the load runs.
DEFERRED_INDEXES = tuple(
    index
    for index in statement_versions.indexes
    if [column.name for column in index.columns] != ["statement_id"]
)
POSTGRES_SEARCH_INDEX = (
    "ix_search_entries_document",
    "CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)",
)


def rebuild(store: SqlEventStore) -> int:
    """Empty the projection tables and fold the whole log in again.

    Runs in one write transaction, so appends wait and readers see the old tables until it
    commits. Returns the number of events folded.
    """
    with store.write_transaction() as connection, bulk_settings(connection, store.backend):
        empty_projections(connection, store.backend)
        return fold_log(store, connection)


def empty_projections(connection: Connection, backend: Backend) -> None:
    """Every projection table emptied, inside the caller's transaction.

    PostgreSQL truncates (transactional there). SQLite deletes the plain tables (its DELETE
    without WHERE drops their pages at once) and drops the FTS5 table and creates it again
    from the statement the schema stored for it: deleting FTS5 rows one by one costs more
    than a rebuild's whole load of them.
    """
    if backend.name == "postgresql":
        names = ", ".join([table.name for table in PROJECTION_TABLES] + [search.TABLE])
        connection.execute(text(f"TRUNCATE {names}"))
        return
    for table in PROJECTION_TABLES:
        connection.execute(delete(table))
    search.recreate(connection)


@contextmanager
def bulk_settings(connection: Connection, backend: Backend) -> Iterator[None]:
    """Settings for one large load, for this transaction (PostgreSQL) or this connection while
    the rebuild runs (SQLite, restored after it).

    SQLite: a larger page cache (16 MB).
    PostgreSQL: more memory for the index builds after the load. ``synchronous_commit`` stays:
    the rebuild commits once, and it must be as durable as any write.
    """
    driver = dbapi(connection)
    if backend.name == "postgresql":
        driver.execute(f"SET LOCAL maintenance_work_mem = '{POSTGRES_MAINTENANCE_MEMORY}'")
        yield
        return
    saved = {name: driver.execute(f"PRAGMA {name}").fetchone()[0] for name in SQLITE_BULK}
    for name, value in SQLITE_BULK.items():
        driver.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        for name, value in saved.items():
            driver.execute(f"PRAGMA {name} = {value}")


def fold_log(store: SqlEventStore, connection: Connection) -> int:
    """Fold the whole log into empty projection tables, inside the caller's transaction."""
    bulk = BulkFold(connection, store.backend)
    with deferred_indexes(connection, store.backend):
        after = 0
        while page := _raw_page(connection, store.backend, after):
            bulk.add_page(page)
            after = page[-1].position
        search.index_all_versions(connection, store.backend)
    bulk.finish()
    return bulk.folded


class LogRow(NamedTuple):
    """A row of the log as a rebuild reads it: every column of ``events``, in the table's
    order (the codec decodes the row in that order), ``data`` and ``metadata`` as JSON text."""

    position: int
    event_id: Any
    stream: str
    version: int
    type: str
    data: Any
    metadata: Any
    recorded_at: Any
    prev_hash: str
    hash: str


def _raw_page(connection: Connection, backend: Backend, after: int) -> list[LogRow]:
    """A page of the log's rows with ``data`` and ``metadata`` as the JSON text stored.

    A statement's data is the body its version stores: the text goes in as it was read.
    """
    columns = ", ".join(LogRow._fields)
    if backend.name == "postgresql":
        columns = columns.replace("data, metadata", "data::text, metadata::text")
    sql = f"SELECT {columns} FROM events WHERE position > %s ORDER BY position LIMIT %s"
    page = dbapi(connection).execute(backend.sql(sql), (after, PAGE)).fetchall()
    return [LogRow._make(row) for row in page]


@contextmanager
def deferred_indexes(connection: Connection, backend: Backend) -> Iterator[None]:
    """Drop the secondary indexes a load would maintain row by row; create them after it.

    Inside the caller's transaction (both backends run DDL transactionally), so a failed
    rebuild rolls the indexes back with everything else. On PostgreSQL the dropped index
    locks its table until the commit: readers wait for the rebuild instead of reading the old
    tables, as appends already do.
    """
    for index in DEFERRED_INDEXES:
        index.drop(connection)
    postgres = backend.name == "postgresql"
    if postgres:
        connection.execute(text(f"DROP INDEX {POSTGRES_SEARCH_INDEX[0]}"))
    yield
    for index in DEFERRED_INDEXES:
        index.create(connection)
    if postgres:
        connection.execute(text(POSTGRES_SEARCH_INDEX[1]))


class BulkFold:
    """The log folded page by page: versions written per page, claims kept in memory.

    A claim whose versions only grow is extended in memory with each page's new versions. A
    claim one of whose versions is ended (a retraction, a correction) is marked and derived
    afresh from its standing versions at the end, once the indexes exist again.
    """

    def __init__(self, connection: Connection, backend: Backend) -> None:
        self.connection = connection
        self.backend = backend
        self.folded = 0
        self.last_position = 0
        self.claim_rows: dict[str, dict[str, Any]] = {}
        self.derivations: dict[str, ClaimDerivation] = {}
        self.changed_at: dict[str, int] = {}
        self.reread: set[str] = set()
        self.dates: dict[str, date | None] = {}
        # Versions not yet written, each with its body's JSON text when the log's row gave it.
        self.pending: list[tuple[StatementVersion, str | None]] = []
        self.pending_statements: set[uuid.UUID] = set()
        self.opened: dict[str, list[StatementVersion]] = {}
        self.entries: list[search.Entry] = []

    def add_page(self, page: Sequence[LogRow]) -> None:
        """Statements, nearly all of a log, take the short way: only their data is decoded."""
        for row in page:
            if row.type == "StatementRecorded":
                self.open(self._recorded(row))
            else:
                fold(self, self._decoded(row))
        self._flush()
        self.folded += len(page)
        self.last_position = page[-1].position

    def finish(self) -> None:
        """Derive the claims marked for it, then write every claim and its stances."""
        for claim in self.reread:
            self.derivations[claim] = derive_claim(list(standing_versions(self.connection, claim)))
        keys = list(self.claim_rows)
        for start in range(0, len(keys), CLAIMS_AT_ONCE):
            self._write_claims(keys[start : start + CLAIMS_AT_ONCE])
        if self.folded:
            rows.save_position(self.connection, self.backend, POSITION_NAME, self.last_position)

    def register(self, change: Registered) -> None:
        """Claims are kept in memory until their derivation is known; the rest go in now."""
        row = change.row
        if change.table is claims:
            self.claim_rows[row["key"]] = row
            self.derivations[row["key"]] = EMPTY_CLAIM
            self.entries.extend(change.entries)
            return
        self.connection.execute(insert(change.table), row)
        if change.table is documents:
            self.dates[row["document_id"]] = row["dated"]
        for key in change.story_claims:
            if key in self.claim_rows:
                self.claim_rows[key]["story"] = row["key"]

    def open(self, change: Opened) -> None:
        version = change.version(self.dates.get(change.document))
        self.pending.append((version, change.body_text))
        self.pending_statements.add(version.statement_id)
        self.changed_at[version.claim] = version.position
        if version.claim not in self.reread:
            self.opened.setdefault(version.claim, []).append(version)

    def end(self, change: Ended) -> None:
        if change.statement_id in self.pending_statements:
            self._flush()  # the version being ended is still waiting to be written
        claim = rows.end_version(self.connection, change)
        if claim is not None:
            self.changed_at[claim] = change.position
            self.reread.add(claim)
            self.opened.pop(claim, None)

    def _write_claims(self, keys: list[str]) -> None:
        """Some claims' rows and stance rows; their derivations are let go once written."""
        claim_rows, stance_rows = [], []
        for key in keys:
            derivation = self.derivations.pop(key)
            claim_rows.append(
                {
                    **self.claim_rows.pop(key),
                    "state": derivation.state,
                    "summary": derivation.summary,
                    "last_changed_position": self.changed_at.get(key),
                }
            )
            stance_rows += [_stance_row(key, view) for view in derivation.stances.values()]
        self.connection.execute(insert(claims), claim_rows)
        if stance_rows:
            self.connection.execute(insert(stances), stance_rows)

    def _decoded(self, row: LogRow) -> RecordedEvent:
        """The event a row holds, through the backend's codec (its JSON was read as text)."""
        if self.backend.name == "postgresql":
            row = row._replace(data=orjson.loads(row.data), metadata=orjson.loads(row.metadata))
        return self.backend.codec.events.decode(row)

    def _recorded(self, row: LogRow) -> Opened:
        """A StatementRecorded row's version, its body kept as the JSON text the log holds."""
        event_id = row.event_id
        version_id = event_id if isinstance(event_id, uuid.UUID) else uuid.UUID(hex=event_id)
        recorded_at = self.backend.codec.decode_instant(row.recorded_at)
        return recorded(version_id, orjson.loads(row.data), row.position, recorded_at, row.data)

    def _flush(self) -> None:
        """Write the pending versions and search entries; fold the versions into their claims."""
        load(
            self.connection,
            self.backend,
            statement_versions.name,
            column_list(statement_versions),
            [rows.version_row(self.backend, version, text) for version, text in self.pending],
        )
        load(
            self.connection,
            self.backend,
            search.TABLE,
            search.COLUMNS,
            search.stored(self.backend, self.entries),
        )
        for claim, opened in self.opened.items():
            self.derivations[claim] = extend_claim(self.derivations.get(claim, EMPTY_CLAIM), opened)
        self.pending, self.opened, self.entries = [], {}, []
        self.pending_statements.clear()


def load(
    connection: Connection,
    backend: Backend,
    table: str,
    columns: str,
    values: Sequence[Sequence[Any]],
) -> None:
    """Rows into ``table``: COPY on PostgreSQL, one executemany on SQLite."""
    if not values:
        return
    driver = dbapi(connection)
    if backend.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for value in values:
                copy.write_row(value)
        return
    marks = ", ".join(["?"] * len(values[0]))
    cursor = driver.cursor()
    try:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
    finally:
        cursor.close()


def _stance_row(claim: str, view: dict[str, Any]) -> dict[str, Any]:
    return {
        "claim": claim,
        "actor": view["actor"],
        "stance": view["stance"],
        "version_id": uuid.UUID(view["version_id"]),
        "view": view,
    }
