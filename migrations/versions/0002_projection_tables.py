"""Projection tables: registries, statement versions, stances and claim states.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import JSON, POSITION, registered_columns

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "actors",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        *registered_columns(),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_actors")),
    )
    op.create_table(
        "claims",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("proposition_en", sa.Text(), nullable=False),
        sa.Column("proposition_de", sa.Text(), nullable=False),
        *registered_columns(),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("last_changed_position", POSITION, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_claims")),
    )
    op.create_table(
        "documents",
        sa.Column("document_id", sa.String(length=200), nullable=False),
        sa.Column("publisher", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        *registered_columns(),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_documents")),
    )
    op.create_table(
        "projection_checkpoints",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("position", POSITION, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projection_checkpoints")),
    )
    op.create_table(
        "stances",
        sa.Column("claim", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("stance", sa.String(length=30), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("view", JSON, nullable=False),
        sa.PrimaryKeyConstraint("claim", "actor", name=op.f("pk_stances")),
    )
    op.create_table(
        "statement_versions",
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("statement_id", sa.Uuid(), nullable=False),
        sa.Column("claim", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("stance", sa.String(length=30), nullable=False),
        sa.Column("relays", sa.String(length=100), nullable=True),
        sa.Column("document", sa.String(length=200), nullable=False),
        sa.Column("said_key", sa.DateTime(timezone=True), nullable=False),
        sa.Column("said_key_basis", sa.String(length=20), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("position", POSITION, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_position", POSITION, nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=30), nullable=True),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_statement_versions")),
    )
    op.create_index(
        op.f("ix_statement_versions_actor"), "statement_versions", ["actor"], unique=False
    )
    op.create_index(
        op.f("ix_statement_versions_claim_position"),
        "statement_versions",
        ["claim", "position"],
        unique=False,
    )
    op.create_index(
        op.f("ix_statement_versions_claim_said_key"),
        "statement_versions",
        ["claim", "said_key"],
        unique=False,
    )
    op.create_index(
        op.f("ix_statement_versions_document"), "statement_versions", ["document"], unique=False
    )
    op.create_index(
        op.f("ix_statement_versions_statement_id"),
        "statement_versions",
        ["statement_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("statement_versions")
    op.drop_table("stances")
    op.drop_table("projection_checkpoints")
    op.drop_table("documents")
    op.drop_table("claims")
    op.drop_table("actors")
