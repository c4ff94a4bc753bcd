"""Fixtures shared by every layer: a freshly migrated database on each backend, the seeded API
(``tests.support.api_fixtures``) and one real server.

Each layer's folder has its own ``conftest.py`` for what only it needs; helpers are plain modules
under ``tests/support/``, imported by name, never from a conftest.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import migrations
from ledger.bootstrap import Wiring, open_app
from ledger.seeding import SeedClock, SeedStory, load_story, seed
from ledger.settings import Settings
from ledger.store import SqlEventStore, open_store
from tests.support.databases import BACKENDS, IN_CI, POSTGRES_URL, fresh_database_url
from tests.support.server import serve_seeded

pytest_plugins = ("tests.support.api_fixtures",)


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("CI=true but LEDGER_TEST_POSTGRES_URL is unset: PostgreSQL missing")
    if IN_CI and not os.environ.get("LEDGER_TEST_REPLICA_URL"):
        raise pytest.UsageError("CI=true but LEDGER_TEST_REPLICA_URL is unset: no replica")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> str:
    return fresh_database_url(backend, tmp_path)


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A database of the parametrized backend, migrated to head."""
    migrations.upgrade(empty_database_url)
    return empty_database_url


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def store(settings: Settings) -> Iterator[SqlEventStore]:
    event_store = open_store(settings)
    yield event_store
    event_store.close()


@pytest.fixture
def app(settings: Settings) -> Iterator[Wiring]:
    """The ledger on a fresh database, with projections kept in step."""
    ledger_app = open_app(settings)
    yield ledger_app
    ledger_app.close()


@pytest.fixture(scope="session")
def story() -> SeedStory:
    return load_story(Settings().seed_file)


@pytest.fixture
def seeded_app(settings: Settings, story: SeedStory) -> Iterator[Wiring]:
    """The ledger holding the seed story, recorded at the times the seed file gives."""
    clock = SeedClock()
    ledger_app = open_app(settings, clock=clock)
    seed(ledger_app.ledger, story, clock)
    yield ledger_app
    ledger_app.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A real ``ledger serve`` on a fresh, migrated and seeded SQLite database."""
    yield from serve_seeded(tmp_path)
