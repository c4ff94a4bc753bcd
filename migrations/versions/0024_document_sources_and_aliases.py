"""Documents from HTML and PDF (their metadata, original and extractor); actors' aliases.

Revision ID: 0024
Revises: 0026
Create Date: 2026-12-04

Nullable columns only: documents registered from plain text and actors registered without
aliases (every event written before this revision) keep nulls, as their events lack the fields.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
DOCUMENT_COLUMNS = (
    ("title", sa.Text()),
    ("author", sa.Text()),
    ("published", sa.String(length=40)),
    ("url", sa.Text()),
    ("original", JSON),
    ("original_content", sa.LargeBinary()),
    ("extractor", JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for name, type_ in DOCUMENT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("actors") as batch:
        batch.add_column(sa.Column("aliases", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("actors") as batch:
        batch.drop_column("aliases")
    with op.batch_alter_table("documents") as batch:
        for name, _ in reversed(DOCUMENT_COLUMNS):
            batch.drop_column(name)
