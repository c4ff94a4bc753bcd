"""The append-only event table, refusing UPDATE, DELETE and TRUNCATE in the database itself.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from ledger.store.backend import IMMUTABLE_MESSAGE
from migrations.helpers import refuse_changes

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The function every PostgreSQL trigger made by migrations.helpers.refuse_changes calls.
REFUSE_CHANGE_FUNCTION = f"""
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{IMMUTABLE_MESSAGE}: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'Append a StatementCorrected or StatementRetracted event instead.';
END;
$$;
"""


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("stream", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_events_version_positive")),
        sa.CheckConstraint("position >= 1", name=op.f("ck_events_position_positive")),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
        sa.UniqueConstraint("stream", "version", name=op.f("uq_events_stream_version")),
    )
    op.create_index(op.f("ix_events_recorded_at"), "events", ["recorded_at"])
    if op.get_context().dialect.name == "postgresql":
        op.execute(REFUSE_CHANGE_FUNCTION)
    refuse_changes("events")


def downgrade() -> None:
    """Refused: dropping the log would destroy the record the ledger exists to keep."""
    raise RuntimeError("the event table is never dropped by a migration")
