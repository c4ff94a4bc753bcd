"""Fixtures shared by every test: a freshly migrated database on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import migrations
from ledger.bootstrap import App, open_app
from ledger.seeding import SeedClock, SeedStory, load_story, seed
from ledger.settings import Settings
from ledger.store import SqlEventStore, open_store
from ledger.store.postgres import normalize_url

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not POSTGRES_URL:
        raise pytest.UsageError("CI=true but LEDGER_TEST_POSTGRES_URL is unset: PostgreSQL missing")
    if IN_CI and not os.environ.get("LEDGER_TEST_REPLICA_URL"):
        raise pytest.UsageError("CI=true but LEDGER_TEST_REPLICA_URL is unset: no replica")


def reset_postgres(url: str) -> None:
    """An empty public schema: every PostgreSQL test starts from nothing, like SQLite's new file."""
    engine = create_engine(normalize_url(url))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_database_url(backend: str, tmp_path: Path) -> str:
    """A database URL of ``backend`` with nothing in it, not even a schema."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    if not POSTGRES_URL:
        pytest.skip("LEDGER_TEST_POSTGRES_URL is unset: PostgreSQL tests skipped")
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


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
def app(settings: Settings) -> Iterator[App]:
    """The ledger on a fresh database, with projections kept in step."""
    ledger_app = open_app(settings)
    yield ledger_app
    ledger_app.close()


@pytest.fixture(scope="session")
def story() -> SeedStory:
    return load_story(Settings().seed_file)


@pytest.fixture
def seeded_app(settings: Settings, story: SeedStory) -> Iterator[App]:
    """The ledger holding the seed story, recorded at the times the seed file gives."""
    clock = SeedClock()
    ledger_app = open_app(settings, clock=clock)
    seed(ledger_app.ledger, story, clock)
    yield ledger_app
    ledger_app.close()
