"""Alembic's environment: the URL comes from the caller or from the ledger's settings."""

from __future__ import annotations

from alembic import context
import ledger.projections.schema  # noqa: F401  (registers the projection tables)

from ledger.settings import Settings
from ledger.store import backend_for
from ledger.store.schema import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.attributes.get("database_url") or Settings().database_url
    engine = backend_for(url).create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
