"""Databases for the tests: a fresh, empty one of each backend (plain functions, no fixtures)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ledger.store.postgres import normalize_url

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI") == "true"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


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
