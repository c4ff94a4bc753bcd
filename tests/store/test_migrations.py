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


def test_0010_turns_stored_claims_into_language_maps_and_indexes_them(
    empty_database_url: str,
) -> None:
    from alembic import command
    from sqlalchemy import text

    from ledger.projections import search
    from ledger.store import open_store
    from ledger.settings import Settings

    migrations.upgrade(empty_database_url, "0003")
    engine = backend_for(empty_database_url).create_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO claims (key, proposition_en, proposition_de, position, "
                    "recorded_at, state, summary) VALUES ('k', 'Musk spoke', 'Musk sprach', 1, "
                    "'2024-10-25 07:30:00+00:00', 'unstated', '{}')"
                )
            )
    finally:
        engine.dispose()
    migrations.upgrade(empty_database_url)
    store = open_store(Settings(database_url=empty_database_url))
    try:
        with store.read_connection() as connection:
            row = connection.execute(text("SELECT propositions, story FROM claims")).one()
            propositions = store.backend.codec.decode_json(row[0])
            assert propositions == {"en": "Musk spoke", "de": "Musk sprach"} and row[1] is None
            assert search.matching_claims(connection, store.backend, "sprach") == {"k"}
    finally:
        store.close()
    command.downgrade(migrations.alembic_config(empty_database_url), "0004")  # and back down
    engine = backend_for(empty_database_url).create_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            back = connection.execute(text("SELECT proposition_en, proposition_de FROM claims"))
            assert tuple(back.one()) == ("Musk spoke", "Musk sprach")
    finally:
        engine.dispose()
