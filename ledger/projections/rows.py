"""Statement versions written through the driver: a rebuild inserts one for every statement."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from ledger.projections.derive import StatementVersion
from ledger.store import Backend
from ledger.store.backend import dbapi

VERSION_COLUMNS = (
    "version_id, statement_id, claim, actor, stance, relays, document, said_key, said_key_basis,"
    " body, position, recorded_at, ended_position, ended_at, ended_by"
)
INSERT_VERSION_SQL = (
    f"INSERT INTO statement_versions ({VERSION_COLUMNS}) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


def insert_versions(
    connection: Connection, backend: Backend, versions: Sequence[StatementVersion]
) -> None:
    """Insert new (standing) versions in one executemany."""
    rows = [_row(backend, version) for version in versions]
    cursor = dbapi(connection).cursor()
    try:
        cursor.executemany(backend.sql(INSERT_VERSION_SQL), rows)
    finally:
        cursor.close()


def _row(backend: Backend, v: StatementVersion) -> tuple[Any, ...]:
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
        backend.encode_json(json.dumps(v.body)),
        v.position,
        backend.encode_instant(v.recorded_at),
        None,
        None,
        None,
    )
