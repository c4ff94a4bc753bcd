"""Changing a stored event behind the triggers' back: what an attacker with the database can do."""

from __future__ import annotations

import json

from sqlalchemy import Engine, text


def overwrite_event_data(engine: Engine, position: int, data: dict[str, object]) -> None:
    """Rewrite one event's data with the guard switched off, the way only an intruder would."""
    if engine.dialect.name == "postgresql":
        _overwrite_on_postgres(engine, position, data)
    else:
        _overwrite_on_sqlite(engine, position, data)


def _overwrite_on_postgres(engine: Engine, position: int, data: dict[str, object]) -> None:
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE events DISABLE TRIGGER events_refuse_update"))
        connection.execute(
            text("UPDATE events SET data = CAST(:data AS jsonb) WHERE position = :position"),
            {"data": json.dumps(data), "position": position},
        )
        connection.execute(text("ALTER TABLE events ENABLE TRIGGER events_refuse_update"))


def _overwrite_on_sqlite(engine: Engine, position: int, data: dict[str, object]) -> None:
    with engine.begin() as connection:
        guard = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = 'events_refuse_update'")
        ).scalar_one()
        connection.execute(text("DROP TRIGGER events_refuse_update"))
        connection.execute(
            text("UPDATE events SET data = :data WHERE position = :position"),
            {"data": json.dumps(data), "position": position},
        )
        connection.execute(text(guard))
