"""Alembic's environment: the URL comes from the caller or from the ledger's settings."""

from __future__ import annotations

from alembic import context
import ledger.audit.schema  # noqa: F401  (registers the audit tables)
import ledger.projections.schema  # noqa: F401  (registers the projection tables)

from ledger.settings import Settings
from ledger.store import backend_for
from ledger.store.schema import metadata

config = context.config
SEARCH_TABLE = "search_entries"  # backend-specific full-text index (FTS5 / tsvector), by hand


def include_object(
    _obj: object, name: str | None, kind: str, _reflected: bool, _compare_to: object
) -> bool:
    """Leave the full-text index, and SQLite's FTS5 shadow tables, out of autogenerate."""
    return not (kind == "table" and name is not None and name.startswith(SEARCH_TABLE))


def run_migrations_online() -> None:
    url = config.attributes.get("database_url") or Settings().database_url
    engine = backend_for(url).create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=engine.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
