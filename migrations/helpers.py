"""Small pieces the migrations share; each produces exactly what the migrations wrote by hand.

Changing what a helper emits changes every migration that calls it: a helper's output is
part of the schema's history, so it stays as it is once a migration has used it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.store.backend import IMMUTABLE_MESSAGE

# A log position: 64-bit on PostgreSQL, SQLite's INTEGER (its rowid width) there.
POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Row triggers refuse UPDATE and DELETE; PostgreSQL also refuses TRUNCATE, once per statement.
_POSTGRES_REFUSED = (("UPDATE", "ROW"), ("DELETE", "ROW"), ("TRUNCATE", "STATEMENT"))
_SQLITE_REFUSED = ("UPDATE", "DELETE")


def refuse_changes(table: str) -> None:
    """Triggers ``<table>_refuse_<operation>`` that make ``table`` append-only in the database.

    On PostgreSQL they call ``ledger_refuse_change()`` (made by 0001), which raises
    restrict_violation; on SQLite they ``RAISE(ABORT)`` with the ledger's immutability message.
    """
    if op.get_context().dialect.name == "postgresql":
        for operation, each in _POSTGRES_REFUSED:
            op.execute(
                f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table}"
                f"\n    FOR EACH {each} EXECUTE FUNCTION ledger_refuse_change();"
            )
        return
    for operation in _SQLITE_REFUSED:
        op.execute(
            f"CREATE TRIGGER {table}_refuse_{operation.lower()} BEFORE {operation} ON {table}\n"
            f"    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MESSAGE}: {operation} refused on {table}');"
            " END"
        )
