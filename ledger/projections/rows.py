"""Statement versions written through the driver: a rebuild inserts one for every statement."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection

from ledger.projections.derive import StatementVersion
from ledger.store import Backend
from ledger.store.backend import dbapi

VERSION_COLUMNS = (
    "version_id, statement_id, claim, actor, stance, relays, document, said_key, said_key_basis,"
    " body, position, recorded_at, ended_position, ended_at, ended_by, withdrawn_at"
)
INSERT_VERSION_SQL = (
    f"INSERT INTO statement_versions ({VERSION_COLUMNS}) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def insert_versions(
    connection: Connection, backend: Backend, versions: Sequence[StatementVersion]
) -> None:
    """Insert new (standing) versions in one executemany."""
    rows = [version_row(backend, version) for version in versions]
    cursor = dbapi(connection).cursor()
    try:
        cursor.executemany(backend.sql(INSERT_VERSION_SQL), rows)
    finally:
        cursor.close()


def version_row(
    backend: Backend, v: StatementVersion, body_text: str | None = None
) -> tuple[Any, ...]:
    """A new (standing) version's row; its body as ``body_text`` when the caller has the JSON."""
    return (
        backend.encode_uuid(v.version_id),
        backend.encode_uuid(v.statement_id),
        v.claim,
        v.actor,
        v.stance,
        v.relays,
        v.document,
        backend.encode_instant(v.said_key),
        v.said_key_basis,
        backend.encode_json(json.dumps(v.body) if body_text is None else body_text),
        v.position,
        backend.encode_instant(v.recorded_at),
        None,
        None,
        None,
        None,
    )


# The live path: every append reads the registries and a claim's derivation and writes them
# back. Fixed SQL through the driver costs a fraction of building the statements each time.


def fetch_one(connection: Connection, backend: Backend, sql: str, *params: Any) -> Any:
    return dbapi(connection).execute(backend.sql(sql), params).fetchone()


def document_facts(
    connection: Connection, backend: Backend, document_id: str
) -> tuple[str, str | None, str] | None:
    sql = "SELECT document_id, publisher, text FROM documents WHERE document_id = %s"
    row = fetch_one(connection, backend, sql, document_id)
    return None if row is None else (row[0], row[1], row[2])


def document_date(connection: Connection, backend: Backend, document_id: str) -> date | None:
    row = fetch_one(
        connection, backend, "SELECT dated FROM documents WHERE document_id = %s", document_id
    )
    return None if row is None else backend.decode_date(row[0])


def has_key(connection: Connection, backend: Backend, table: str, key: str) -> bool:
    """Whether ``key`` is registered in ``actors``, ``claims`` or ``stories`` (fixed names)."""
    assert table in ("actors", "claims", "stories")
    return fetch_one(connection, backend, f"SELECT 1 FROM {table} WHERE key = %s", key) is not None


def story_of(connection: Connection, backend: Backend, claim: str) -> str | None:
    row = fetch_one(connection, backend, "SELECT story FROM claims WHERE key = %s", claim)
    return None if row is None else row[0]


def read_derivation(
    connection: Connection, backend: Backend, claim: str
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A claim's stored summary and its stance views by actor."""
    driver = dbapi(connection)
    summary = driver.execute(
        backend.sql("SELECT summary FROM claims WHERE key = %s"), (claim,)
    ).fetchone()
    views = driver.execute(
        backend.sql("SELECT actor, view FROM stances WHERE claim = %s"), (claim,)
    )
    return backend.decode_json(summary[0]), {
        actor: backend.decode_json(view) for actor, view in views
    }


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
    driver = dbapi(connection)
    if replaced:
        marks = ", ".join(["%s"] * len(replaced))
        driver.execute(
            backend.sql(f"DELETE FROM stances WHERE claim = %s AND actor IN ({marks})"),
            (claim, *replaced),
        )
    if changed:
        cursor = driver.cursor()
        try:
            cursor.executemany(
                backend.sql(
                    "INSERT INTO stances (claim, actor, stance, version_id, view) VALUES (%s, %s, %s, %s, %s)"
                ),
                [
                    (
                        claim,
                        v["actor"],
                        v["stance"],
                        backend.encode_uuid(uuid.UUID(v["version_id"])),
                        backend.encode_json(json.dumps(v)),
                    )
                    for v in changed
                ],
            )
        finally:
            cursor.close()
    driver.execute(
        backend.sql(
            "UPDATE claims SET state = %s, summary = %s, last_changed_position = %s WHERE key = %s"
        ),
        (state, backend.encode_json(json.dumps(summary)), position, claim),
    )


def save_checkpoint(connection: Connection, backend: Backend, name: str, position: int) -> None:
    driver = dbapi(connection)
    updated = driver.execute(
        backend.sql("UPDATE projection_checkpoints SET position = %s WHERE name = %s"),
        (position, name),
    )
    if updated.rowcount == 0:
        driver.execute(
            backend.sql("INSERT INTO projection_checkpoints (name, position) VALUES (%s, %s)"),
            (name, position),
        )
