"""Tampering: the database refuses to change events, and a change behind its back is found.

Every statement that would change or remove a stored event is refused by the database itself
(triggers). An event altered with the triggers disabled, in any column the hash covers, is
reported by ``GET /v1/audit/verify`` and by ``ledger verify`` at exactly its position.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from ledger.errors import ImmutableEventError
from ledger.store import SqlEventStore, backend_for
from ledger.store.records import expected_hash
from ledger.store.rows import COLUMNS
from ledger_cli.main import app as cli
from tests.support.api_fixtures import WRITE, head
from tests.support.tampering import remove_event, set_column


TARGET = 100  # a StatementRecorded in the middle of the seeded log (132 events)

REFUSED = {
    "update one column": "UPDATE events SET type = 'Tampered' WHERE position = 100",
    "update the hash": "UPDATE events SET hash = prev_hash WHERE position = 100",
    "update every row": "UPDATE events SET version = version",
    "delete one": "DELETE FROM events WHERE position = 100",
    "delete all": "DELETE FROM events",
    "delete the tail": "DELETE FROM events WHERE position = (SELECT max(position) FROM events)",
    "upsert": (
        f"INSERT INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events WHERE position = 100 "
        "ON CONFLICT (position) DO UPDATE SET type = 'Tampered'"
    ),
}
SQLITE_ONLY = {
    "insert or replace": (
        f"INSERT OR REPLACE INTO events ({COLUMNS}) "
        f"SELECT {COLUMNS} FROM events WHERE position = 100"
    ),
    "replace into": (
        f"REPLACE INTO events ({COLUMNS}) SELECT {COLUMNS} FROM events WHERE position = 100"
    ),
}
POSTGRES_ONLY = {"truncate": "TRUNCATE events", "truncate cascade": "TRUNCATE events CASCADE"}


def store_of(client: TestClient) -> SqlEventStore:
    return client.app.state.ledger.store  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("name", sorted(REFUSED | SQLITE_ONLY | POSTGRES_ONLY))
def test_the_database_refuses_every_change_to_stored_events(client: TestClient, name: str) -> None:
    store = store_of(client)
    only = SQLITE_ONLY if store.backend.name == "sqlite" else POSTGRES_ONLY
    sql = (REFUSED | only).get(name)
    if sql is None:
        pytest.skip(f"{name}: not SQL this backend has")
    before = client.get("/v1/events", params={"limit": 1000}).json()["events"]

    with (
        pytest.raises(ImmutableEventError, match="events are immutable"),
        store.translated_errors(),
        store.engine.begin() as connection,
    ):
        connection.execute(text(sql))

    assert client.get("/v1/events", params={"limit": 1000}).json()["events"] == before
    assert client.get("/v1/audit/verify", headers=WRITE).json()["ok"] is True


def _json(engine: Engine) -> str:
    return "CAST(:value AS jsonb)" if engine.dialect.name == "postgresql" else ":value"


def _stored(engine: Engine, column: str, position: int = TARGET) -> Any:
    with engine.connect() as connection:
        query = text(f"SELECT {column} FROM events WHERE position = :p")
        return connection.execute(query, {"p": position}).scalar_one()


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


def change_quote(engine: Engine) -> int:
    data = _as_dict(_stored(engine, "data"))
    data["source"]["quote"]["exact"] = data["source"]["quote"]["exact"].replace("e", "a", 1)
    set_column(engine, TARGET, f"data = {_json(engine)}", value=json.dumps(data))
    return TARGET


def change_metadata(engine: Engine) -> int:
    value = json.dumps({"via": "seed", "token": "someone-else"})
    set_column(engine, TARGET, f"metadata = {_json(engine)}", value=value)
    return TARGET


def change_recorded_at(engine: Engine) -> int:
    if engine.dialect.name == "postgresql":
        set_column(engine, TARGET, "recorded_at = recorded_at - interval '1 microsecond'")
    else:
        stored = _stored(engine, "recorded_at")
        set_column(engine, TARGET, "recorded_at = :value", value=stored[:-1] + "7")
    return TARGET


def change_event_id(engine: Engine) -> int:
    forged = uuid.uuid4()
    value = str(forged) if engine.dialect.name == "postgresql" else forged.hex
    cast = "CAST(:value AS uuid)" if engine.dialect.name == "postgresql" else ":value"
    set_column(engine, TARGET, f"event_id = {cast}", value=value)
    return TARGET


def rehash_the_changed_event(engine: Engine) -> int:
    """The intruder recomputes the changed event's own hash: the next event's link breaks."""
    change_quote(engine)
    store = SqlEventStore(engine, backend_for(engine.url.render_as_string(False)))
    event = store.read_page(after=TARGET - 1, limit=1)[0]
    forged = expected_hash(event)
    set_column(engine, TARGET, "hash = :value", value=forged)
    return TARGET + 1


def remove_a_middle_event(engine: Engine) -> int:
    remove_event(engine, TARGET)
    return TARGET + 1  # the walk finds the gap where the next event should follow 99


def replace_through_a_foreign_connection(engine: Engine) -> int:
    """SQLite's REPLACE from a connection that never turned recursive_triggers on."""
    if engine.dialect.name != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    connection = sqlite3.connect(str(make_url(str(engine.url)).database), isolation_level=None)
    try:
        connection.execute(
            f"REPLACE INTO events ({COLUMNS}) SELECT {COLUMNS.replace('stream', 'stream || 1')} "
            f"FROM events WHERE position = {TARGET}"
        )
    finally:
        connection.close()
    return TARGET


def simple(column: str, value: object) -> Callable[[Engine], int]:
    def tamper(engine: Engine) -> int:
        set_column(engine, TARGET, f"{column} = :value", value=value)
        return TARGET

    return tamper


TAMPERINGS: dict[str, Callable[[Engine], int]] = {
    "quote in data": change_quote,
    "metadata": change_metadata,
    "type": simple("type", "StatementRetracted"),
    "stream": simple("stream", "claim:forged"),
    "version": simple("version", 999),
    "recorded_at by a microsecond": change_recorded_at,
    "event_id": change_event_id,
    "prev_hash": simple("prev_hash", "f" * 64),
    "hash": simple("hash", "0" * 64),
    "rehashed after a change": rehash_the_changed_event,
    "a middle event removed": remove_a_middle_event,
    "replaced through a foreign connection": replace_through_a_foreign_connection,
}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_a_tampered_event_is_reported_at_exactly_its_position(
    client: TestClient, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = store_of(client)
    assert client.get("/v1/audit/verify", headers=WRITE).json()["ok"] is True
    events = head(client)

    position = TAMPERINGS[name](store.engine)

    report = client.get("/v1/audit/verify", headers=WRITE).json()
    assert (report["ok"], report["first_bad_position"]) == (False, position), report
    assert report["checked"] == position - (1 if name == "a middle event removed" else 0)
    monkeypatch.setenv("LEDGER_DATABASE_URL", store.engine.url.render_as_string(False))
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 1, result.output
    assert f"BROKEN at position {position}" in result.output
    assert events >= position
