"""Stories, claims' propositions as a language map, source withdrawals, full-text search.

Revision ID: 0010
Revises: 0004 (the Merkle tree)
Create Date: 2026-12-01

``search_entries`` is a full-text index over quotes and propositions: an FTS5 table on SQLite,
a table with a generated ``tsvector`` and a GIN index on PostgreSQL. It is kept in step by the
projections and rebuilt with them; being backend-specific it is outside the SQLAlchemy models
(``migrations/env.py`` leaves it out of ``alembic check``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON, POSITION, fill_language_blind_search

revision: str = "0010"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE search_entries USING fts5("
    "kind UNINDEXED, ref UNINDEXED, claim UNINDEXED, body, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
POSTGRES_SEARCH = (
    "CREATE TABLE search_entries ("
    "kind varchar(20) NOT NULL, ref varchar(200) NOT NULL, claim varchar(100) NOT NULL, "
    "body text NOT NULL, "
    "document tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED, "
    "PRIMARY KEY (kind, ref))"
)


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("position", POSITION, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stories")),
    )
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("propositions", JSON, nullable=True))
        batch.add_column(sa.Column("story", sa.String(length=100), nullable=True))
        batch.create_index(batch.f("ix_claims_story"), ["story"], unique=False)
    _fill_propositions()
    with op.batch_alter_table("claims") as batch:
        batch.alter_column("propositions", existing_type=JSON, nullable=False)
        batch.drop_column("proposition_en")
        batch.drop_column("proposition_de")
    with op.batch_alter_table("statement_versions") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
    _create_search()


def _fill_propositions() -> None:
    """Claims folded before this revision: their two propositions become the language map."""
    if op.get_bind().dialect.name == "postgresql":
        build = "jsonb_build_object('en', proposition_en, 'de', proposition_de)"
    else:
        build = "json_object('de', proposition_de, 'en', proposition_en)"
    op.execute(f"UPDATE claims SET propositions = {build}")


def _create_search() -> None:
    """The index starts empty over a ledger that already holds claims: filled from the tables."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(POSTGRES_SEARCH if postgres else SQLITE_SEARCH)
    if postgres:
        op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)")
    fill_language_blind_search(postgres)


def downgrade() -> None:
    op.execute("DROP TABLE search_entries")
    with op.batch_alter_table("statement_versions") as batch:
        batch.drop_column("withdrawn_at")
    with op.batch_alter_table("claims") as batch:
        batch.add_column(sa.Column("proposition_en", sa.Text(), nullable=True))
        batch.add_column(sa.Column("proposition_de", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE claims SET proposition_en = propositions ->> 'en', "
            "proposition_de = propositions ->> 'de'"
        )
    else:
        op.execute(
            "UPDATE claims SET proposition_en = json_extract(propositions, '$.en'), "
            "proposition_de = json_extract(propositions, '$.de')"
        )
    with op.batch_alter_table("claims") as batch:
        batch.drop_index(batch.f("ix_claims_story"))
        batch.drop_column("story")
        batch.drop_column("propositions")
    op.drop_table("stories")
