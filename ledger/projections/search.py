"""Full-text search over quotes and propositions, stemmed in the text's own language.

``search_entries`` holds one entry per claim proposition (one per language) and one per
statement version (its quote, in its document's language). Each entry keeps its ``language``
(the BCP 47 tag's primary subtag), and words are stemmed by that language's Snowball stemmer:
on PostgreSQL by the matching text search configuration (``german``, ``english``, ...) in the
generated ``tsvector``; on SQLite by the same Snowball algorithms from the ``snowballstemmer``
package, applied in Python when indexing (the FTS5 body holds each word and its stem) and when
querying. ``snowballstemmer`` runs the C implementation from ``PyStemmer`` (also pinned) when it
is installed: 22 µs per 27-word quote against 1.4 ms in pure Python, which would bound a
rebuild at about 700 statements a second; 10 µs once its words' stems are cached. A query word matches the entries whose language's stem of it they hold, so
``Vorlagen`` finds ``Vorlage`` in German texts; a word ending in ``*`` is a prefix
(``Preiserh*``), matched against words and stems alike. Every word must match.

The projection adds entries as it folds events; a rebuild empties and refills it with the
other tables (migration 0027 made the table).
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import snowballstemmer
from sqlalchemy import Connection, Text, cast, column, func, literal, select, table
from sqlalchemy.sql.elements import ColumnElement

from ledger.errors import InvalidEvent
from ledger.projections.schema import claims, documents, statement_versions
from ledger.store import Backend
from ledger.store.backend import dbapi

WORD = re.compile(r"\w+", re.UNICODE)
TERM = re.compile(r"(\w+)(\*?)", re.UNICODE)
MAX_WORDS = 20
TABLE = "search_entries"
COLUMNS = "kind, ref, claim, language, body"
Entry = tuple[str, str, str, str, str]
# The languages stemmed, by primary subtag: the Snowball algorithm's name, which is also the
# name of PostgreSQL's text search configuration. Any other language is matched word for word.
STEMMED = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
UNSTEMMED = "simple"


def language_of(tag: str | None) -> str:
    """The primary subtag of a BCP 47 tag, lower case (``de-AT`` -> ``de``); ``und`` if none."""
    primary = (tag or "").split("-")[0].strip().lower()
    return primary or "und"


def configuration(language: str) -> str:
    """The Snowball algorithm (and PostgreSQL configuration) for a language, or ``simple``."""
    return STEMMED.get(language, UNSTEMMED)


_STEMMERS = threading.local()


def _stemmer(name: str) -> Any:
    """One stemmer per algorithm and thread: a Snowball stemmer keeps its word as it works."""
    cache = _STEMMERS.__dict__.setdefault("by_name", {})
    if name not in cache:
        cache[name] = snowballstemmer.stemmer(name)
    return cache[name]


def stem(language: str, word: str) -> str:
    """The Snowball stem of one word in the language (the word, lower case, if unstemmed)."""
    return _stem(configuration(language), word.lower())


@lru_cache(maxsize=1 << 16)
def _stem(name: str, lowered: str) -> str:
    """Words repeat (a rebuild stems every quote again): each is stemmed once per algorithm."""
    return lowered if name == UNSTEMMED else str(_stemmer(name).stemWord(lowered))


def indexed_text(language: str, text: str) -> str:
    """What SQLite's FTS5 indexes for a text: every word, and its stem where it differs."""
    tokens: list[str] = []
    for word in WORD.findall(text):
        tokens.append(word)
        stemmed = stem(language, word)
        if stemmed != word.lower():
            tokens.append(stemmed)
    return " ".join(tokens)


def claim_entries(key: str, propositions: Mapping[str, str]) -> list[Entry]:
    """A claim's entries: one per language (``pt`` and ``pt-BR`` share the entry of ``pt``)."""
    by_language: dict[str, list[str]] = {}
    for tag, text in propositions.items():
        by_language.setdefault(language_of(tag), []).append(text)
    return [
        ("claim", key, key, language, " ".join(texts)) for language, texts in by_language.items()
    ]


def version_entry(version: Any, language: str) -> Entry:
    """A statement version's entry: its quote's exact text, in its document's language."""
    return (
        "statement",
        str(version.version_id),
        version.claim,
        language_of(language),
        version.body["source"]["quote"]["exact"],
    )


def stored(backend: Backend, entries: Iterable[Entry]) -> list[Entry]:
    """The rows as the table holds them: SQLite's body carries the stems (PostgreSQL stems in
    its generated column)."""
    if backend.name == "postgresql":
        return list(entries)
    return [(k, r, c, lang, indexed_text(lang, body)) for k, r, c, lang, body in entries]


def index_claim(
    connection: Connection, backend: Backend, key: str, propositions: Mapping[str, str]
) -> None:
    insert_entries(connection, backend, claim_entries(key, propositions))


def index_versions(
    connection: Connection,
    backend: Backend,
    versions: Iterable[Any],
    language_of: Callable[[str], str],
) -> None:
    """One entry per statement version, in the language of the document it quotes
    (``language_of`` a document id: the live fold has its documents' facts at hand)."""
    insert_entries(
        connection,
        backend,
        [version_entry(v, language_of(v.body["source"]["document"])) for v in versions],
    )


def document_languages(connection: Connection, document_ids: set[str]) -> dict[str, str]:
    if not document_ids:
        return {}
    query = select(documents.c.document_id, documents.c.language).where(
        documents.c.document_id.in_(sorted(document_ids))
    )
    return {document_id: language for document_id, language in connection.execute(query)}


def clear(connection: Connection) -> None:
    dbapi(connection).execute("DELETE FROM search_entries")


def index_all_versions(connection: Connection, backend: Backend) -> None:
    """One entry for every row of ``statement_versions``, in one ``INSERT ... SELECT``.

    A rebuild's bulk path: the same entries ``version_entry`` gives (a test compares them),
    read out of each version's stored body by the database's JSON functions, the language from
    its document. On SQLite the stems come from ``indexed_text``, registered as a function.
    """
    if backend.name != "postgresql":
        _register_indexed_text(dbapi(connection))
    connection.execute(version_entries_insert(backend))


def _register_indexed_text(driver: Any) -> None:
    """``indexed_text`` as the SQL function ``ledger_indexed_text`` of this SQLite connection.

    A second rebuild on the same pooled connection finds it registered already, and SQLite
    refuses to replace a function while the connection has a statement open: the one there is
    the same function.
    """
    try:
        driver.create_function("ledger_indexed_text", 2, indexed_text, deterministic=True)
    except sqlite3.OperationalError:
        pass


def version_entries_insert(backend: Backend) -> Any:
    """``version_entry`` in SQL, built from the ``statement_versions`` and ``documents``
    tables: ``json_extract`` on SQLite, ``#>>`` on PostgreSQL."""
    versions = statement_versions.c
    entries = table(TABLE, *(column(name) for name in COLUMNS.split(", ")))
    quote = versions.body[("source", "quote", "exact")].as_string()
    language = func.lower(func.coalesce(_primary_subtag(backend, documents.c.language), "und"))
    body = quote if backend.name == "postgresql" else func.ledger_indexed_text(language, quote)
    query = select(
        literal("statement"),
        _uuid_text(backend, versions.version_id),
        versions.claim,
        language,
        body,
    ).select_from(
        statement_versions.outerjoin(documents, documents.c.document_id == versions.document)
    )
    return entries.insert().from_select(list(entries.c), query)


def _primary_subtag(backend: Backend, tag: Any) -> ColumnElement[str]:
    if backend.name == "postgresql":
        return func.split_part(tag, "-", 1)
    position = func.instr(tag.op("||")(literal("-")), literal("-"))
    return func.substr(tag, 1, position - 1)


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
    clear(connection)
    for key, propositions in connection.execute(select(claims.c.key, claims.c.propositions)):
        index_claim(connection, backend, key, propositions)
    index_all_versions(connection, backend)


def insert_entries(connection: Connection, backend: Backend, rows: Sequence[Entry]) -> None:
    if not rows:
        return
    marks = ", ".join(["%s"] * len(COLUMNS.split(", ")))
    cursor = dbapi(connection).cursor()
    try:
        cursor.executemany(
            backend.sql(f"INSERT INTO {TABLE} ({COLUMNS}) VALUES ({marks})"), stored(backend, rows)
        )
    finally:
        cursor.close()


def terms(q: str) -> list[tuple[str, bool]]:
    """The query's words, each with whether it is a prefix (``Preiserh*``); refused when it has
    none (punctuation alone matches nothing)."""
    found = [(word, star == "*") for word, star in TERM.findall(q)]
    if not found:
        raise InvalidEvent("q", "give at least one word to search for")
    return found[:MAX_WORDS]


def words(q: str) -> list[str]:
    """The query's words, without their prefix marks."""
    return [word for word, _ in terms(q)]


def matching_claims(connection: Connection, backend: Backend, q: str) -> frozenset[str]:
    """Claims whose propositions, or the quote of any of their statements, match every word."""
    return frozenset(claim for _, _, claim in _matches(connection, backend, q))


def matching_statements(connection: Connection, backend: Backend, q: str) -> frozenset[uuid.UUID]:
    """Statement versions whose quote matches every word."""
    return frozenset(
        uuid.UUID(ref) for kind, ref, _ in _matches(connection, backend, q) if kind == "statement"
    )


def _matches(connection: Connection, backend: Backend, q: str) -> list[tuple[str, str, str]]:
    wanted = terms(q)
    if backend.name == "postgresql":
        sql, params = _postgres_query(wanted)
        rows = dbapi(connection).execute(sql, params).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]
    found: list[tuple[str, str, str]] = []
    for match, languages, negated in _sqlite_groups(wanted):
        test = "NOT IN" if negated else "IN"
        marks = ", ".join("?" * len(languages))
        sql = (
            f"SELECT kind, ref, claim FROM {TABLE} WHERE {TABLE} MATCH ? "
            f"AND language {test} ({marks})"
        )
        found += [tuple(row) for row in dbapi(connection).execute(sql, (match, *languages))]
    return found


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _sqlite_groups(wanted: list[tuple[str, bool]]) -> list[tuple[str, list[str], bool]]:
    """One FTS5 MATCH expression per group of languages that stem the query alike: each word
    a quoted FTS5 string (the query syntax of the user's text never applies), stemmed in the
    entries' language, or a prefix of a word or a stem. The last group is every language not
    stemmed (``NOT IN`` the stemmed ones)."""
    groups: dict[str, list[str]] = {}
    for language in STEMMED:
        match = " AND ".join(
            _fts_string(word.lower()) + "*" if prefix else _fts_string(stem(language, word))
            for word, prefix in wanted
        )
        groups.setdefault(match, []).append(language)
    plain = " AND ".join(
        _fts_string(word.lower()) + ("*" if prefix else "") for word, prefix in wanted
    )
    return [(match, languages, False) for match, languages in groups.items()] + [
        (plain, sorted(STEMMED), True)
    ]


def _postgres_query(wanted: list[tuple[str, bool]]) -> tuple[str, list[Any]]:
    """Every word as a ``tsquery`` of each configuration, OR-ed across the configurations'
    languages: an entry is matched in its own language's configuration. A prefix also matches
    the words as written (the ``simple`` half of the ``tsvector``)."""
    by_config: dict[str, list[str]] = {}
    for language, name in STEMMED.items():
        by_config.setdefault(name, []).append(language)
    groups = [(name, languages, "= ANY(%s)") for name, languages in by_config.items()]
    groups.append((UNSTEMMED, sorted(STEMMED), "<> ALL(%s)"))
    branches: list[str] = []
    params: list[Any] = []
    for name, languages, test in groups:
        parts: list[str] = []
        params.append(languages)
        for word, prefix in wanted:
            if prefix:
                parts.append(f"(to_tsquery('{name}', %s) || to_tsquery('simple', %s))")
                params += [f"{word}:*", f"{word}:*"]
            else:
                parts.append(f"to_tsquery('{name}', %s)")
                params.append(word)
        branches.append(f"(language {test} AND document @@ ({' && '.join(parts)}))")
    sql = f"SELECT kind, ref, claim FROM {TABLE} WHERE " + " OR ".join(branches)
    return sql, params
