"""The HTTP baseline: bare FastAPI endpoints doing the same raw insert or read, nothing else.

Run as ``uvicorn bench.bare_app:app`` with ``BENCH_BARE_DB`` naming a migrated SQLite file (the
insert) and ``BENCH_BARE_READ_DB`` the seeded ledger (the read).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request

app = FastAPI()
_lock = threading.Lock()
_state: dict[str, Any] = {}


def _connection(name: str) -> sqlite3.Connection:
    if name not in _state:
        connection = sqlite3.connect(
            os.environ[name], isolation_level=None, check_same_thread=False
        )
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        _state[name] = connection
    return _state[name]  # type: ignore[no-any-return]


@app.post("/raw/statements", status_code=201)
def insert_statement(body: dict[str, Any]) -> dict[str, Any]:
    """Insert the body as an event row, one durable commit, no checks."""
    with _lock:
        connection = _connection("BENCH_BARE_DB")
        position = (connection.execute("SELECT max(position) FROM events").fetchone()[0] or 0) + 1
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        connection.execute("BEGIN")
        connection.execute(
            "INSERT INTO events (position, event_id, stream, version, type, data, metadata, recorded_at, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                position,
                uuid.uuid4().hex,
                f"raw:{position}",
                1,
                "StatementRecorded",
                json.dumps(body),
                "{}",
                now,
                "0" * 64,
                "0" * 64,
            ),
        )
        connection.execute("COMMIT")
    return {"position": position}


@app.get("/raw/claims/{key}")
def read_claim(key: str, request: Request) -> dict[str, Any]:
    """The claim's stored row and its stances, as JSON, with no derivation."""
    with _lock:
        connection = _connection("BENCH_BARE_READ_DB")
        summary = connection.execute("SELECT summary FROM claims WHERE key = ?", (key,)).fetchone()
        views = connection.execute("SELECT view FROM stances WHERE claim = ?", (key,)).fetchall()
    return {
        "key": key,
        "summary": json.loads(summary[0]),
        "stances": [json.loads(v[0]) for v in views],
    }
