"""Full-text search by language: each entry's language, stemmed in it.

Revision ID: 0027
Revises: 0028
Create Date: 2026-12-04

``search_entries`` gains ``language`` (the primary subtag of the text's BCP 47 tag: a
proposition's own, a quote's document's). PostgreSQL's generated ``tsvector`` stems each entry
with its language's text search configuration (``german``, ``english``, ...) and keeps the words
as written (``simple``) for prefix queries; SQLite's FTS5 body holds each word and its Snowball
stem (``ledger.projections.search.indexed_text``). The table is made again and refilled from the
projection tables, as a rebuild fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from ledger.projections import search
from migrations.helpers import fill_language_blind_search

revision: str = "0027"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE search_entries USING fts5("
    "kind UNINDEXED, ref UNINDEXED, claim UNINDEXED, language UNINDEXED, body, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)


def postgres_search() -> str:
    """The table, its ``tsvector`` stemmed by the row's language (one CASE branch each)."""
    branches = " ".join(
        f"WHEN '{language}' THEN '{name}'::regconfig"
        for language, name in sorted(search.STEMMED.items())
    )
    configuration = f"CASE language {branches} ELSE 'simple'::regconfig END"
    return (
        "CREATE TABLE search_entries ("
        "kind varchar(20) NOT NULL, ref varchar(200) NOT NULL, claim varchar(100) NOT NULL, "
        "language varchar(8) NOT NULL, body text NOT NULL, "
        f"document tsvector GENERATED ALWAYS AS (to_tsvector({configuration}, body) "
        "|| to_tsvector('simple', body)) STORED, "
        "PRIMARY KEY (kind, ref, language))"
    )


OLD_SQLITE = (
    "CREATE VIRTUAL TABLE search_entries USING fts5("
    "kind UNINDEXED, ref UNINDEXED, claim UNINDEXED, body, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
OLD_POSTGRES = (
    "CREATE TABLE search_entries ("
    "kind varchar(20) NOT NULL, ref varchar(200) NOT NULL, claim varchar(100) NOT NULL, "
    "body text NOT NULL, "
    "document tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED, "
    "PRIMARY KEY (kind, ref))"
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.execute("DROP TABLE search_entries")
    if _postgres():
        op.execute(postgres_search())
        op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)")
    else:
        op.execute(SQLITE_SEARCH)
    connection = op.get_bind()
    from ledger.store import backend_for

    backend = backend_for("postgresql://" if _postgres() else "sqlite://")
    search.refill(connection, backend)


def downgrade() -> None:
    """The language-blind index of 0010, refilled with the propositions and quotes as written."""
    op.execute("DROP TABLE search_entries")
    if _postgres():
        op.execute(OLD_POSTGRES)
        op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)")
    else:
        op.execute(OLD_SQLITE)
    fill_language_blind_search(_postgres())
