"""The audit's own tables: the checkpoints the ledger signed and the witnesses' cosignatures.

They live in the store's ``metadata`` (one schema, made by the migrations), but only the audit
reads and writes them; the store knows nothing of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Column, Connection, LargeBinary, String, Table, Text, select

from ledger.store.schema import PositionType, UtcDateTime, metadata


def _by_tree_size(name: str, *columns: Column[Any] | CheckConstraint) -> Table:
    """An audit table keyed by the tree size its rows speak of (first in its primary key);
    like events, its rows are never changed."""
    size = Column("size", PositionType, primary_key=True, autoincrement=False)
    return Table(name, metadata, size, *columns)


# Every checkpoint the ledger signed, at most one per tree size.
checkpoints = _by_tree_size(
    "signed_checkpoints",
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", UtcDateTime(), nullable=False),
    CheckConstraint("size >= 0", name="size_not_negative"),
)


# Witnesses' cosignatures (C2SP tlog-cosignature) on a signed checkpoint: one signature line
# per witness key, as the witness answered it; the published checkpoint is the ledger's note
# followed by these lines, ordered by ``witness``. Never changed, like the checkpoints.
cosignatures = _by_tree_size(
    "checkpoint_cosignatures",
    Column("witness", String(300), primary_key=True),
    Column("line", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)


def signed_roots(connection: Connection) -> dict[int, bytes]:
    """The root every signed checkpoint holds, by tree size: what the integrity walk checks."""
    rows = connection.execute(select(checkpoints.c.size, checkpoints.c.root))
    return {size: bytes(root) for size, root in rows}
