"""An intruder with the database: change any column of one event, or remove one, guard disabled.

The one place the tests switch the immutability triggers off (``guards_disabled``), the way
only someone with the database, not the ledger's API, can.
PYTEST_DONT_REWRITE
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text, update

from ledger.settings import Settings
from ledger.store import open_store
from ledger.store.records import event_hash
from ledger.store.tree import rebuild_tree
from ledger.audit.schema import checkpoints as signed_checkpoints
from ledger.audit.schema import cosignatures
from ledger.store.schema import events

def guards(table: str) -> tuple[str, str]:
    return (f"{table}_refuse_update", f"{table}_refuse_delete")


@contextmanager
def guards_disabled(engine: Engine, tables: tuple[str, ...] = ("events",)) -> Iterator[Connection]:
    """A transaction in which the immutability triggers are off (back on when it commits)."""
    named = [(table, guard) for table in tables for guard in guards(table)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table, guard in named:
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {guard}"))
            yield connection
            for table, guard in named:
                connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {guard}"))
        else:
            saved = [
                connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": guard}
                ).scalar_one()
                for _, guard in named
            ]
            for _, guard in named:
                connection.execute(text(f"DROP TRIGGER {guard}"))
            yield connection
            for sql in saved:
                connection.execute(text(sql))


def rewrite_history(engine: Engine, position: int, metadata: dict[str, Any]) -> None:
    """The insider's rewrite: one event changed, every later hash recomputed, checkpoints (and
    their cosignatures) gone.

    Afterwards the chain verifies again; only a checkpoint kept outside the database, or
    one signed with the key, can tell.
    """
    tables = ("events", "signed_checkpoints", "checkpoint_cosignatures")
    with guards_disabled(engine, tables) as connection:
        rows = connection.execute(
            select(events).where(events.c.position >= position).order_by(events.c.position)
        ).all()
        prev_hash = connection.execute(
            select(events.c.hash).where(events.c.position == position - 1)
        ).scalar_one()
        for row in rows:
            changed = metadata if row.position == position else row.metadata
            fields = {
                "position": row.position,
                "event_id": row.event_id,
                "stream": row.stream,
                "version": row.version,
                "type": row.type,
                "data": row.data,
                "metadata": changed,
                "recorded_at": row.recorded_at,
            }
            new_hash = event_hash(**fields, prev_hash=prev_hash)
            connection.execute(
                update(events)
                .where(events.c.position == row.position)
                .values(metadata=changed, prev_hash=prev_hash, hash=new_hash)
            )
            prev_hash = new_hash
        connection.execute(delete(cosignatures))
        connection.execute(delete(signed_checkpoints))


def rewrite_history_and_tree(settings: Settings, position: int, metadata: dict[str, Any]) -> None:
    """The full insider's rewrite: ``rewrite_history``, then the Merkle tree rebuilt to match,
    so the database agrees with itself and only outside checkpoints and witnesses can tell."""
    store = open_store(settings)
    try:
        rewrite_history(store.engine, position, metadata)
        with store.write_transaction() as connection:
            rebuild_tree(connection)
    finally:
        store.close()


def overwrite_event_data(engine: Engine, position: int, data: dict[str, object]) -> None:
    """Rewrite one event's data, leaving its hash as it was: what ``verify`` must catch."""
    with guards_disabled(engine) as connection:
        connection.execute(update(events).where(events.c.position == position).values(data=data))


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
