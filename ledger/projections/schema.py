"""Projection tables. They hold nothing the log does not: a rebuild recreates them exactly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Uuid,
)

from ledger.store.schema import JsonType, PositionType, UtcDateTime, metadata


def key_column(name: str, **options: Any) -> Column[str]:
    """A column holding a key of the registry (an actor's, a claim's, a story's)."""
    return Column(name, String(100), **options)


def recorded_columns() -> tuple[Column[int], Column[datetime]]:
    """Where the log recorded what a row holds: its position and time (fresh columns each call)."""
    return (
        Column("position", PositionType, nullable=False),
        Column("recorded_at", UtcDateTime(), nullable=False),
    )


documents = Table(
    "documents",
    metadata,
    Column("document_id", String(200), primary_key=True),
    key_column("publisher"),
    Column("language", String(8), nullable=False),
    Column("dated", Date),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("note", Text),
    *recorded_columns(),
    # From an HTML page or a PDF (migration 0024): what the source says of itself, the original
    # (media type, SHA-256, length; its bytes apart) and the extractor. Null for plain text.
    Column("title", Text),
    Column("author", Text),
    Column("published", String(40)),
    Column("url", Text),
    Column("original", JsonType),
    Column("original_content", LargeBinary),
    Column("extractor", JsonType),
)

actors = Table(
    "actors",
    metadata,
    key_column("key", primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("note", Text),
    *recorded_columns(),
    Column("aliases", JsonType),  # migration 0024; null when the actor has none
)

stories = Table(
    "stories",
    metadata,
    key_column("key", primary_key=True),
    Column("title", Text, nullable=False),
    Column("description", Text),
    *recorded_columns(),
)

claims = Table(
    "claims",
    metadata,
    key_column("key", primary_key=True),
    Column("propositions", JsonType, nullable=False),
    key_column("story", index=True),
    Column("note", Text),
    *recorded_columns(),
    Column("state", String(20), nullable=False),
    Column("summary", JsonType, nullable=False),
    Column("last_changed_position", PositionType),
)

# One row per version of a statement: recording a statement adds one, a correction ends the
# current version and adds the next, a retraction ends it. As-of queries filter these rows by
# said time and by the positions that opened and ended them, so they never re-read the log.
statement_versions = Table(
    "statement_versions",
    metadata,
    Column("version_id", Uuid(), primary_key=True),
    Column("statement_id", Uuid(), nullable=False),
    key_column("claim", nullable=False),
    key_column("actor", nullable=False),
    Column("stance", String(30), nullable=False),
    key_column("relays"),
    Column("document", String(200), nullable=False),
    Column("said_key", UtcDateTime(), nullable=False),
    Column("said_key_basis", String(20), nullable=False),
    Column("body", JsonType, nullable=False),
    *recorded_columns(),
    Column("ended_position", BigInteger().with_variant(Integer(), "sqlite")),
    Column("ended_at", UtcDateTime()),
    Column("ended_by", String(30)),
    # A retraction because the source withdrew its text: on the said axis the version stands
    # from its said time until then.
    Column("withdrawn_at", UtcDateTime()),
    Index(None, "claim", "said_key"),
    Index(None, "claim", "position"),
    Index(None, "statement_id"),
    Index(None, "actor"),
    Index(None, "document"),
)

stances = Table(
    "stances",
    metadata,
    key_column("claim", primary_key=True),
    key_column("actor", primary_key=True),
    Column("stance", String(30), nullable=False),
    Column("version_id", Uuid(), nullable=False),
    Column("view", JsonType, nullable=False),
)

# Where in the log each projection stands: the position it has folded in. (The table's name is
# older than the word: it is no signed checkpoint.)
projection_positions = Table(
    "projection_checkpoints",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("position", PositionType, nullable=False),
)

PROJECTION_TABLES = (
    stances,
    statement_versions,
    claims,
    stories,
    actors,
    documents,
    projection_positions,
)
