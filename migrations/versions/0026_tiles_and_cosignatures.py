"""Full tiles at every level of the tree (C2SP tlog-tiles) and witnesses' cosignatures.

Revision ID: 0026
Revises: 0010
Create Date: 2026-12-04

``merkle_upper_tiles`` holds the full tiles above level 0 (``merkle_tiles`` keeps level 0), so
a tile is served from one stored row; they are derived data and filled here from the tree's
stored nodes. ``checkpoint_cosignatures`` keeps the signature lines witnesses returned for a
checkpoint; like the checkpoints, never updated or deleted.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.store.tree import fill_upper_tiles
from migrations.helpers import POSITION, refuse_changes

revision: str = "0026"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merkle_upper_tiles",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", POSITION, autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("level >= 1", name=op.f("ck_merkle_upper_tiles_level_above_leaves")),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_merkle_upper_tiles")),
    )
    op.create_table(
        "checkpoint_cosignatures",
        sa.Column("size", POSITION, autoincrement=False, nullable=False),
        sa.Column("witness", sa.String(length=300), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("size", "witness", name=op.f("pk_checkpoint_cosignatures")),
    )
    refuse_changes("checkpoint_cosignatures")
    fill_upper_tiles(op.get_bind())


def downgrade() -> None:
    """Drops the tables while no cosignature is kept; refused after: they are part of the record."""
    count = op.get_bind().execute(sa.text("SELECT count(*) FROM checkpoint_cosignatures")).scalar()
    if count:
        raise RuntimeError("the cosignature history is never dropped by a migration")
    op.drop_table("checkpoint_cosignatures")
    op.drop_table("merkle_upper_tiles")
