"""The Merkle tree over the log and the signed checkpoints; the tree filled for an existing log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ledger.store.tree import rebuild_tree
from migrations.helpers import POSITION, refuse_changes

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "merkle_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", POSITION, autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx", name=op.f("pk_merkle_nodes")),
    )
    op.create_table(
        "merkle_tiles",
        sa.Column("idx", POSITION, autoincrement=False, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("idx", name=op.f("pk_merkle_tiles")),
    )
    op.create_table(
        "signed_checkpoints",
        sa.Column("size", POSITION, autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_signed_checkpoints_size_not_negative")),
        sa.PrimaryKeyConstraint("size", name=op.f("pk_signed_checkpoints")),
    )
    refuse_changes("signed_checkpoints")  # kept like events, never changed
    rebuild_tree(op.get_bind(), upper_tiles=False)  # their table comes with 0026


def downgrade() -> None:
    """Refused: signed checkpoints are part of the record, as events are."""
    raise RuntimeError("the checkpoint history is never dropped by a migration")
