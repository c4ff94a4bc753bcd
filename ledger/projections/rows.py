"""Statement versions written through the driver: a rebuild inserts one for every statement."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, literal_column, select, update

from ledger.domain.validation import DocumentFacts
from ledger.projections.derive import StatementVersion
from ledger.projections.fold import Ended
from ledger.projections.schema import (
    actors,
    projection_positions,
    claims,
    documents,
    statement_versions,
    stances,
    stories,
)
from ledger.store import Backend
from ledger.store.backend import dbapi
from ledger.store.codec import Codec, RowMapper
from ledger.store.schema import fixed_sql, insert_sql

INSERT_VERSION_SQL = insert_sql(statement_versions)
INSERT_STANCE_SQL = insert_sql(stances)
DOCUMENT_FACTS_SQL = fixed_sql(
    select(
        documents.c.document_id,
        documents.c.publisher,
        documents.c.text,
        documents.c.dated,
        documents.c.language,
    ).where(documents.c.document_id == bindparam("document_id"))
)
HAS_KEY_SQL = {
    table.name: fixed_sql(select(literal_column("1")).where(table.c.key == bindparam("key")))
    for table in (actors, claims, stories)
}
STORY_SQL = fixed_sql(select(claims.c.story).where(claims.c.key == bindparam("key")))
SUMMARY_SQL = fixed_sql(select(claims.c.summary).where(claims.c.key == bindparam("key")))
VIEWS_SQL = fixed_sql(
    select(stances.c.actor, stances.c.view).where(stances.c.claim == bindparam("claim"))
)
# Written in the table's column order: the SET list follows it.
UPDATE_CLAIM_SQL = fixed_sql(
    update(claims)
    .where(claims.c.key == bindparam("claim"))
    .values(state=bindparam("s"), summary=bindparam("m"), last_changed_position=bindparam("p"))
)
DELETE_STANCES_SQL = fixed_sql(delete(stances).where(stances.c.claim == bindparam("claim")))
UPDATE_POSITION_SQL = fixed_sql(
    update(projection_positions)
    .where(projection_positions.c.name == bindparam("n"))
    .values(position=bindparam("p"))
)
INSERT_POSITION_SQL = insert_sql(projection_positions)



@functools.cache
def _version_with_body(mapper: RowMapper[StatementVersion]) -> Callable[..., list[Any]]:
    """A version's row with its body given as stored JSON (the rebuild has the event's text)."""
    return mapper.encoder("body")


@functools.cache
def version_mapper(codec: Codec) -> RowMapper[StatementVersion]:
    return RowMapper(StatementVersion, statement_versions, codec)


def insert_versions(
    connection: Connection,
    backend: Backend,
    versions: Sequence[tuple[StatementVersion, str | None]],
) -> None:
    """Insert new (standing) versions in one executemany, each with its body's JSON text
    where the caller has it (``version_row``)."""
    rows = [version_row(backend, version, body_text) for version, body_text in versions]
    cursor = dbapi(connection).cursor()
    try:
        cursor.executemany(backend.sql(INSERT_VERSION_SQL), rows)
    finally:
        cursor.close()


def version_row(
    backend: Backend, version: StatementVersion, body_text: str | None = None
) -> list[Any]:
    """A new (standing) version's row; its body as ``body_text`` when the caller has the JSON."""
    mapper = version_mapper(backend.codec)
    if body_text is None:
        return mapper.encode(version)
    return _version_with_body(mapper)(version, backend.codec.encode_json(body_text))


# The live path: every append reads the registries and a claim's derivation and writes them
# back. Fixed SQL through the driver costs a fraction of building the statements each time.


def fetch_one(connection: Connection, backend: Backend, sql: str, *params: Any) -> Any:
    return dbapi(connection).execute(backend.sql(sql), params).fetchone()


def document_facts(
    connection: Connection, backend: Backend, document_id: str
) -> DocumentFacts | None:
    """The document's facts in one query (a cache's miss only: SQLAlchemy's statement events
    see it, so a test can count the reads of ``documents``)."""
    sql = backend.sql(DOCUMENT_FACTS_SQL)
    row = connection.exec_driver_sql(sql, (document_id,)).fetchone()
    if row is None:
        return None
    found, publisher, text, dated, language = row
    return DocumentFacts(found, publisher, text, backend.codec.decode_date(dated), language)


def has_key(connection: Connection, backend: Backend, table: str, key: str) -> bool:
    """Whether ``key`` is registered in ``actors``, ``claims`` or ``stories`` (fixed names)."""
    return fetch_one(connection, backend, HAS_KEY_SQL[table], key) is not None


def story_of(connection: Connection, backend: Backend, claim: str) -> str | None:
    row = fetch_one(connection, backend, STORY_SQL, claim)
    return None if row is None else row[0]


def read_derivation(
    connection: Connection, backend: Backend, claim: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A claim's stored summary and its stance views by actor."""
    driver, decode = dbapi(connection), backend.codec.decode_json
    summary = driver.execute(backend.sql(SUMMARY_SQL), (claim,)).fetchone()
    views = driver.execute(backend.sql(VIEWS_SQL), (claim,))
    return decode(summary[0]), {actor: decode(view) for actor, view in views}


def write_derivation(
    connection: Connection,
    backend: Backend,
    claim: str,
    position: int,
    state: str,
    summary: dict[str, Any],
    replaced: list[str],
    changed: list[dict[str, Any]],
) -> None:
    """Delete the replaced stance rows, insert the changed ones, and update the claim."""
    driver, codec = dbapi(connection), backend.codec
    if replaced:
        marks = ", ".join(["%s"] * len(replaced))
        driver.execute(
            backend.sql(f"{DELETE_STANCES_SQL} AND {stances.c.actor.name} IN ({marks})"),
            (claim, *replaced),
        )
    if changed:
        cursor = driver.cursor()
        try:
            cursor.executemany(
                backend.sql(INSERT_STANCE_SQL),
                [
                    codec.params(
                        stances,
                        claim=claim,
                        actor=v["actor"],
                        stance=v["stance"],
                        version_id=uuid.UUID(v["version_id"]),
                        view=v,
                    )
                    for v in changed
                ],
            )
        finally:
            cursor.close()
    driver.execute(
        backend.sql(UPDATE_CLAIM_SQL),
        (state, codec.encode_json(json.dumps(summary)), position, claim),
    )


def save_position(connection: Connection, backend: Backend, name: str, position: int) -> None:
    """Where in the log the projection ``name`` stands now."""
    driver = dbapi(connection)
    updated = driver.execute(backend.sql(UPDATE_POSITION_SQL), (position, name))
    if updated.rowcount == 0:
        driver.execute(backend.sql(INSERT_POSITION_SQL), (name, position))


def end_version(connection: Connection, ending: Ended) -> str | None:
    """End the standing version of a statement; return its claim (None if nothing stands)."""
    versions = statement_versions.c
    row = connection.execute(
        select(versions.version_id, versions.claim).where(
            versions.statement_id == ending.statement_id, versions.ended_position.is_(None)
        )
    ).first()
    if row is None:
        return None
    connection.execute(
        update(statement_versions)
        .where(versions.version_id == row.version_id)
        .values(
            ended_position=ending.position,
            ended_at=ending.ended_at,
            ended_by=ending.ended_by,
            withdrawn_at=ending.withdrawn_at,
        )
    )
    return str(row.claim)
