"""Full-text search over quotes and propositions: SQLite FTS5, PostgreSQL ``tsvector``.

``search_entries`` (created by migration 0010) holds one entry per claim (its propositions, every
language) and one per statement version (its quote). The projection adds entries as it folds
events; a rebuild empties and refills it with the other tables. Both backends match every word
of the query (in any order, ignoring case, and on SQLite diacritics too).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Text, cast, column, func, literal, select, table
from sqlalchemy.sql.elements import ColumnElement

from ledger.errors import InvalidEvent
from ledger.store import Backend
from ledger.store.backend import dbapi

WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 20
TABLE = "search_entries"
COLUMNS = "kind, ref, claim, body"
INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (%s, %s, %s, %s)"
Entry = tuple[str, str, str, str]


def claim_entry(key: str, propositions: Mapping[str, str]) -> Entry:
    """A claim's entry: its propositions in every language."""
    return ("claim", key, key, " ".join(propositions.values()))


def version_entry(version: Any) -> Entry:
    """A statement version's entry: its quote's exact text."""
    return (
        "statement",
        str(version.version_id),
        version.claim,
        version.body["source"]["quote"]["exact"],
    )


def index_claim(
    connection: Connection, backend: Backend, key: str, propositions: Mapping[str, str]
) -> None:
    _insert(connection, backend, [claim_entry(key, propositions)])


def index_versions(connection: Connection, backend: Backend, versions: Iterable[Any]) -> None:
    """One entry per statement version."""
    _insert(connection, backend, [version_entry(v) for v in versions])


def clear(connection: Connection) -> None:
    dbapi(connection).execute("DELETE FROM search_entries")


def index_all_versions(connection: Connection, backend: Backend) -> None:
    """One entry for every row of ``statement_versions``, in one ``INSERT ... SELECT``.

    A rebuild's bulk path: the same entries ``version_entry`` gives (a test compares them),
    read out of each version's stored body by the database's JSON functions.
    """
    connection.execute(version_entries_insert(backend))


def version_entries_insert(backend: Backend) -> Any:
    """``version_entry`` in SQL, built from the ``statement_versions`` table: ``json_extract``
    on SQLite, ``#>>`` on PostgreSQL."""
    from ledger.projections.schema import statement_versions

    versions = statement_versions.c
    entries = table(TABLE, *(column(name) for name in COLUMNS.split(", ")))
    quote = versions.body[("source", "quote", "exact")].as_string()
    query = select(
        literal("statement"), _uuid_text(backend, versions.version_id), versions.claim, quote
    )
    return entries.insert().from_select(list(entries.c), query)


def _uuid_text(backend: Backend, value: Any) -> ColumnElement[str]:
    """``str(uuid)`` of a stored UUID: PostgreSQL's cast gives it; SQLite stores 32 hex digits."""
    if backend.name == "postgresql":
        return cast(value, Text)
    parts = [func.substr(value, start, length) for start, length in UUID_GROUPS]
    joined: ColumnElement[str] = parts[0]
    for part in parts[1:]:
        joined = joined.op("||")(literal("-")).op("||")(part)
    return joined


UUID_GROUPS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def recreate(connection: Connection) -> None:
    """SQLite: drop the FTS5 table and create it again, empty, from the statement the schema
    stored for it (the migration stays the one source of its definition)."""
    driver = dbapi(connection)
    (create,) = driver.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    driver.execute(f"DROP TABLE {TABLE}")
    driver.execute(create)


def refill(connection: Connection, backend: Backend) -> None:
    """Index afresh what the claims and statement_versions tables hold (rows copied in)."""
    from ledger.projections.schema import claims, statement_versions
    from ledger.projections.sql import version_of

    clear(connection)
    for key, propositions in connection.execute(select(claims.c.key, claims.c.propositions)):
        index_claim(connection, backend, key, propositions)
    versions = [version_of(row) for row in connection.execute(select(statement_versions))]
    index_versions(connection, backend, versions)


def _insert(connection: Connection, backend: Backend, rows: list[Entry]) -> None:
    if not rows:
        return
    cursor = dbapi(connection).cursor()
    try:
        cursor.executemany(backend.sql(INSERT), rows)
    finally:
        cursor.close()


def words(q: str) -> list[str]:
    """The query's words; refused when it has none (punctuation alone matches nothing)."""
    found = WORD.findall(q)
    if not found:
        raise InvalidEvent("q", "give at least one word to search for")
    return found[:MAX_WORDS]


def matching_claims(connection: Connection, backend: Backend, q: str) -> frozenset[str]:
    """Claims whose propositions, or the quote of any of their statements, contain every word."""
    return frozenset(claim for _, _, claim in _matches(connection, backend, q))


def matching_statements(connection: Connection, backend: Backend, q: str) -> frozenset[uuid.UUID]:
    """Statement versions whose quote contains every word."""
    return frozenset(
        uuid.UUID(ref) for kind, ref, _ in _matches(connection, backend, q) if kind == "statement"
    )


def _matches(connection: Connection, backend: Backend, q: str) -> list[tuple[str, str, str]]:
    terms = words(q)
    if backend.name == "postgresql":
        sql = (
            "SELECT kind, ref, claim FROM search_entries "
            "WHERE document @@ plainto_tsquery('simple', %s)"
        )
        params: tuple[Any, ...] = (" ".join(terms),)
    else:
        sql = "SELECT kind, ref, claim FROM search_entries WHERE search_entries MATCH %s"
        # Each word a quoted FTS5 string: the query syntax of the user's text never applies.
        params = (" AND ".join('"' + term.replace('"', '""') + '"' for term in terms),)
    rows = dbapi(connection).execute(backend.sql(sql), params).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]
