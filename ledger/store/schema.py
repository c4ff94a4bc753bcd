"""The event table as SQLAlchemy metadata: the models Alembic's migrations must agree with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    insert,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine.default import DefaultDialect
from sqlalchemy.sql import Executable

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

PositionType = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is needed")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


events = Table(
    "events",
    metadata,
    Column("position", PositionType, primary_key=True, autoincrement=False),
    Column("event_id", Uuid(), nullable=False),
    Column("stream", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", String(100), nullable=False),
    Column("data", JsonType, nullable=False),
    Column("metadata", JsonType, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("event_id"),
    UniqueConstraint("stream", "version"),
    CheckConstraint("version >= 1", name="version_positive"),
    CheckConstraint("position >= 1", name="position_positive"),
    # Recorded time never decreases along the log, so "the last position recorded by T" is the
    # last entry of this index at or before T: one index probe, whatever the log's length.
    Index(None, "recorded_at", "position"),
)


# The Merkle tree over the log (ledger/store/tree.py): the hash of every complete subtree of
# 2^level leaves for level >= TILE_LEVELS; the levels below are recomputed from a tile.
# Derived data, as merkle_tiles is: `ledger projections rebuild` recomputes both.
merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", PositionType, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# The leaf hashes of every complete tile of 256 leaves, concatenated (8 KiB a row), written when
# the tile's last leaf is appended: a proof reads one row instead of 256 scattered events.
merkle_tiles = Table(
    "merkle_tiles",
    metadata,
    Column("idx", PositionType, primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary(), nullable=False),
)

# The full tiles above level 0 (C2SP tlog-tiles): tile (level, idx) holds the 256 hashes of
# the level 8*level nodes idx*256 .. idx*256+255, concatenated, written when the last of them
# completes. With merkle_tiles (level 0) every full tile of the spec's layout is one stored row.
merkle_upper_tiles = Table(
    "merkle_upper_tiles",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", PositionType, primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary(), nullable=False),
    CheckConstraint("level >= 1", name="level_above_leaves"),
)

# The integrity walks run over HTTP by a caller with the audit (or write) scope, newest last:
# anonymous callers are answered the latest, read from here, instead of a walk of their own.
verifications = Table(
    "verifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("verified_at", UtcDateTime(), nullable=False),
    Column("result", JsonType, nullable=False),
)

# The driver-level hot paths run fixed SQL: it is compiled here, once at import, from the tables
# above, so no statement keeps a column list of its own. ``%s`` placeholders, positional in the
# order the statement names them; ``Backend.sql`` turns them into the driver's own style.
FIXED_SQL_DIALECT = DefaultDialect(paramstyle="format")


def fixed_sql(statement: Executable, suffix: str = "") -> str:
    """``statement`` as the plain SQL text both backends run, compiled once."""
    return str(statement.compile(dialect=FIXED_SQL_DIALECT)) + suffix  # type: ignore[attr-defined]


def column_list(table: Table) -> str:
    """``table``'s column names in its order, as a SELECT or INSERT lists them."""
    return ", ".join(column.name for column in table.c)


def insert_sql(table: Table, suffix: str = "") -> str:
    """An INSERT of every column of ``table``, in the table's order."""
    return fixed_sql(insert(table), suffix)
