"""The schema comes only from Alembic, and the models agree with its head."""

from __future__ import annotations

from sqlalchemy import inspect

import migrations
from ledger.store import backend_for


def test_the_models_and_the_migration_head_agree(database_url: str) -> None:
    migrations.check(database_url)  # raises when autogenerate would find a difference


def test_upgrade_creates_the_tables_and_records_the_head(empty_database_url: str) -> None:
    migrations.upgrade(empty_database_url)
    engine = backend_for(empty_database_url).create_engine(empty_database_url)
    try:
        assert "events" in inspect(engine).get_table_names()
        assert migrations.is_at_head(engine)
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(database_url: str) -> None:
    migrations.upgrade(database_url)
    engine = backend_for(database_url).create_engine(database_url)
    try:
        assert migrations.is_at_head(engine)
    finally:
        engine.dispose()
