"""A comparable picture of every projection, from the tables or from the in-memory model."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, select

from ledger.projections.schema import PROJECTION_TABLES, projection_positions
from ledger.projections.sql import projection_position
from ledger.store.records import format_instant

Snapshot = dict[str, Any]
SORT_KEYS = {
    "documents": ("document_id",),
    "actors": ("key",),
    "stories": ("key",),
    "claims": ("key",),
    "statement_versions": ("version_id",),
    "stances": ("claim", "actor"),
}


def sql_snapshot(connection: Connection) -> Snapshot:
    """Every projection table's rows, normalized so two databases or a model compare equal."""
    rows = {
        table.name: [dict(row._mapping) for row in connection.execute(select(table))]
        for table in PROJECTION_TABLES
        if table is not projection_positions
    }
    return normalize(**rows, position=projection_position(connection))


def normalize(position: int, **tables: list[dict[str, Any]]) -> Snapshot:
    """The tables' rows as plain JSON values in a fixed order, and the position folded in."""
    picture: Snapshot = {"position": position}
    for name, rows in tables.items():
        plain = [{key: _plain(value) for key, value in row.items()} for row in rows]
        keys = SORT_KEYS[name]
        picture[name] = sorted(plain, key=lambda row: [row[k] for k in keys])
    return json.loads(json.dumps(picture, sort_keys=True))


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
