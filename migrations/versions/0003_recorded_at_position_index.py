"""Index events by (recorded_at, position): as-of-recorded-time lookups in one probe.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_events_recorded_at_position"), "events", ["recorded_at", "position"], unique=False
    )
    op.drop_index(op.f("ix_events_recorded_at"), table_name="events")


def downgrade() -> None:
    op.create_index(op.f("ix_events_recorded_at"), "events", ["recorded_at"], unique=False)
    op.drop_index(op.f("ix_events_recorded_at_position"), table_name="events")
