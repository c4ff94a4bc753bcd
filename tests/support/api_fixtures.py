"""Fixtures and helpers for the HTTP API tests: a seeded ledger behind a TestClient.

Test modules import the helpers by name; the root conftest loads the fixtures (``pytest_plugins``). It holds
no assertions, so it opts out of assertion rewriting (PYTEST_DONT_REWRITE) instead of warning.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

import ledger.audit.schema  # noqa: F401 - registers the audit tables in metadata
import ledger.projections.schema  # noqa: F401 - registers the projection tables in metadata
import migrations
from api.app import create_app
from api.schemas import PESKOV_DENIES
from api.settings import ApiSettings
from ledger.audit.note import SigningKey
from ledger.bootstrap import open_app
from ledger.projections import search
from ledger.seeding import SEED_NAMESPACE, SeedClock, load_story, seed
from ledger.settings import Settings
from ledger.store import open_store
from ledger.store.schema import metadata

WRITE_TOKEN = "test-write-token"  # the tests' own tokens; only their hashes are configured
READ_TOKEN = "test-read-token"
WRITE = {"Authorization": f"Bearer {WRITE_TOKEN}"}
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
CENTRAL = "musk-putin-regular-contact-since-2022"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def signing_key_file(directory: Path) -> Path:
    """A new checkpoint signing key, written where ``LEDGER_SIGNING_KEY_FILE`` can name it."""
    path = directory / "signing.key"
    path.write_text(SigningKey.generate("ledger.test/log").text + "\n")
    return path


# The tests' tokens as ``api_tokens`` configures them: a writer and a reader.
API_TOKENS = f"writer:read+write:{sha256(WRITE_TOKEN)},reader:read:{sha256(READ_TOKEN)}"


def api_settings(**overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "environment": "test",
        "api_tokens": API_TOKENS,
        "feed_poll_seconds": 0.05,
    }
    return ApiSettings(**(values | overrides))


def seed_statement_id(key: str) -> uuid.UUID:
    """The event id the seeder gives the statement ``key`` of seeds/story.yaml."""
    return uuid.uuid5(SEED_NAMESPACE, f"statements:{key}")


def peskov_denial(**changes: Any) -> dict[str, Any]:
    """Peskov denying the central claim, as quoted in 000 (a copy of a seed statement)."""
    return copy.deepcopy(PESKOV_DENIES) | changes


def seed_database(settings: Settings) -> None:
    clock = SeedClock()
    ledger_app = open_app(settings, clock=clock)
    try:
        seed(ledger_app.ledger, load_story(settings.seed_file), clock)
    finally:
        ledger_app.close()


def head(client: TestClient) -> int:
    """How many events the ledger holds (positions are gapless from 1)."""
    return client.app.state.ledger.store.head_position()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def seeded_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded SQLite file per session; each test gets a copy (seeding takes far longer)."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    seed_database(Settings(database_url=url))
    return path


@pytest.fixture(scope="session")
def seeded_rows(seeded_sqlite_template: Path) -> dict[str, list[dict[str, Any]]]:
    """Every row of the seeded template, table by table in foreign-key order."""
    store = open_store(Settings(database_url=f"sqlite:///{seeded_sqlite_template}"))
    try:
        with store.read_connection() as connection:
            return {
                table.name: [dict(row._mapping) for row in connection.execute(select(table))]
                for table in metadata.sorted_tables
            }
    finally:
        store.close()


def copy_rows(settings: Settings, rows: dict[str, list[dict[str, Any]]]) -> None:
    """The seeded rows into a freshly migrated database: the same log, hashes and projections."""
    store = open_store(settings)
    try:
        with store.engine.begin() as connection:
            for table in metadata.sorted_tables:
                if rows[table.name]:
                    connection.execute(insert(table), rows[table.name])
            search.refill(connection, store.backend)  # the index is outside the models
    finally:
        store.close()


@pytest.fixture
def seeded_settings(
    settings: Settings,
    backend: str,
    seeded_sqlite_template: Path,
    seeded_rows: dict[str, list[dict[str, Any]]],
) -> Settings:
    """Settings for a fresh database of the backend holding the seed story.

    Seeding through the append path takes about half a second on PostgreSQL; each test instead
    gets a copy of one seeded database (the file on SQLite, its rows on PostgreSQL).
    ``test_audit_verify_walks_the_chain`` shows the copy keeps the hash chain intact.
    """
    if backend == "sqlite":
        target = Path(str(make_url(settings.database_url).database))
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(seeded_sqlite_template, target)
    else:
        copy_rows(settings, seeded_rows)
    return settings


@pytest.fixture
def client(seeded_settings: Settings) -> Iterator[TestClient]:
    """A TestClient on the seeded ledger, with a write token and a read-only token configured."""
    with TestClient(create_app(seeded_settings, api_settings())) as test_client:
        yield test_client


def assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    problem = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(problem)
    assert problem["status"] == status
    return problem  # type: ignore[no-any-return]


def sse_events(response: Any) -> list[tuple[int, dict[str, Any]]]:
    events, event_id = [], None
    for line in response.iter_lines():
        if line.startswith("id:"):
            event_id = int(line[3:].strip())
        elif line.startswith("data:"):
            events.append((event_id, json.loads(line[5:].strip())))
    return events
