"""Small pieces the migrations share; each produces exactly what the migrations wrote by hand.

Changing what a helper emits changes every migration that calls it: a helper's output is
part of the schema's history, so it stays as it is once a migration has used it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ledger.store.backend import IMMUTABLE_MESSAGE

# A log position: 64-bit on PostgreSQL, SQLite's INTEGER (its rowid width) there.
POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

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


def fill_language_blind_search(postgres: bool) -> None:
    """Fill 0010's ``search_entries`` (no language column) with every claim's propositions and
    every statement version's exact quote, as written: 0010's upgrade, and 0027's downgrade."""
    if postgres:
        propositions = "(SELECT string_agg(value, ' ') FROM jsonb_each_text(propositions))"
        quote = "body -> 'source' -> 'quote' ->> 'exact'"
        version_ref = "version_id::text"
    else:
        propositions = "(SELECT group_concat(value, ' ') FROM json_each(propositions))"
        quote = "json_extract(body, '$.source.quote.exact')"
        version_ref = (  # SQLite keeps a UUID as 32 hex digits
            "lower(substr(version_id, 1, 8) || '-' || substr(version_id, 9, 4) || '-' "
            "|| substr(version_id, 13, 4) || '-' || substr(version_id, 17, 4) || '-' "
            "|| substr(version_id, 21))"
        )
    op.execute(
        "INSERT INTO search_entries (kind, ref, claim, body) "
        f"SELECT 'claim', key, key, {propositions} FROM claims"
    )
    op.execute(
        "INSERT INTO search_entries (kind, ref, claim, body) "
        f"SELECT 'statement', {version_ref}, claim, {quote} FROM statement_versions"
    )


def registered_columns() -> list[sa.Column[object]]:
    """The columns every registration's row ends with: its note, and where and when it was
    recorded (new Column objects each call: a column belongs to one table)."""
    return [
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("position", POSITION, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    ]
