"""The last integrity walks: anonymous callers of GET /v1/audit/verify read the latest.

Revision ID: 0028
Revises: 0024
Create Date: 2026-12-04

A walk reads the whole log; only a caller with the audit (or write) scope makes one, and its
result is kept here with its time. Not an event and not a projection: nothing is derived from
it, and ``ledger projections rebuild`` leaves it alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0028"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )


def downgrade() -> None:
    op.drop_table("verifications")
