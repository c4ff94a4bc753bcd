"""An intruder with the database: change any column of one event, or remove one, guard disabled.

``tests/tampering.py`` rewrites an event's data; this reaches every column the hash covers.
PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text

GUARDS = ("events_refuse_update", "events_refuse_delete")


@contextmanager
def guards_disabled(engine: Engine) -> Iterator[Connection]:
    """A transaction in which the immutability triggers are off (back on when it commits)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for guard in GUARDS:
                connection.execute(text(f"ALTER TABLE events DISABLE TRIGGER {guard}"))
            yield connection
            for guard in GUARDS:
                connection.execute(text(f"ALTER TABLE events ENABLE TRIGGER {guard}"))
        else:
            saved = [
                connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": guard}
                ).scalar_one()
                for guard in GUARDS
            ]
            for guard in GUARDS:
                connection.execute(text(f"DROP TRIGGER {guard}"))
            yield connection
            for sql in saved:
                connection.execute(text(sql))


def set_column(engine: Engine, position: int, assignment: str, **params: Any) -> None:
    """``UPDATE events SET <assignment> WHERE position = :position`` past the guard."""
    with guards_disabled(engine) as connection:
        connection.execute(
            text(f"UPDATE events SET {assignment} WHERE position = :position"),
            {"position": position, **params},
        )


def remove_event(engine: Engine, position: int) -> None:
    with guards_disabled(engine) as connection:
        connection.execute(text("DELETE FROM events WHERE position = :p"), {"p": position})
