"""The baselines: the raw drivers writing and reading the same rows with the same durability."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.workload import StoreEvent

COLUMNS = "position, event_id, stream, version, type, data, metadata, recorded_at, prev_hash, hash"
FAKE_HASH = "0" * 64


class RawDriver:
    """sqlite3 or psycopg, inserting event rows one durable commit at a time or in batches."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.connection: Any = self._connect()
        self.position = 0
        self.versions: dict[str, int] = {}

    def _connect(self) -> Any:
        if self.is_sqlite:
            connection = sqlite3.connect(make_url(self.url).database, isolation_level=None)
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            return connection
        return psycopg.connect(_libpq_url(self.url), autocommit=False)

    def row(self, item: StoreEvent) -> tuple[Any, ...]:
        self.position += 1
        version = self.versions[item.stream] = self.versions.get(item.stream, 0) + 1
        event = item.event
        event_id: Any = event.event_id.hex if self.is_sqlite else event.event_id
        now: Any = datetime.now(UTC)
        if self.is_sqlite:
            now = now.replace(tzinfo=None).isoformat(sep=" ")
        return (
            self.position,
            event_id,
            item.stream,
            version,
            event.type,
            json.dumps(event.data),
            json.dumps(event.metadata),
            now,
            FAKE_HASH,
            FAKE_HASH,
        )

    def insert_one(self, item: StoreEvent) -> None:
        """One event, one durable commit."""
        self.insert_many([item])

    def insert_many(self, items: Sequence[StoreEvent]) -> None:
        """A batch of events in one transaction, with executemany."""
        rows = [self.row(item) for item in items]
        marks = ", ".join(["?" if self.is_sqlite else "%s"] * 10)
        sql = f"INSERT INTO events ({COLUMNS}) VALUES ({marks})"
        if self.is_sqlite:
            self.connection.execute("BEGIN")
            self.connection.executemany(sql, rows)
            self.connection.execute("COMMIT")
        else:
            with self.connection.cursor() as cursor:
                cursor.executemany(sql, rows)
            self.connection.commit()

    def read_all(self) -> int:
        """Every event in position order, with its JSON decoded: the least a rebuild must do."""
        count = 0
        cursor = (
            self.connection.cursor()
            if self.is_sqlite
            else self.connection.cursor(name=f"read_{uuid.uuid4().hex}")
        )
        cursor.execute(f"SELECT {COLUMNS} FROM events ORDER BY position")
        while rows := cursor.fetchmany(2000):
            for row in rows:
                data, metadata = row[5], row[6]
                if isinstance(data, str):
                    data, metadata = json.loads(data), json.loads(metadata)
                count += 1
        cursor.close()
        if not self.is_sqlite:
            self.connection.commit()
        return count

    def close(self) -> None:
        self.connection.close()


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
