"""The audit's own tables: the checkpoints the ledger signed and the witnesses' cosignatures.

They live in the store's ``metadata`` (one schema, made by the migrations), but only the audit
reads and writes them; the store knows nothing of them.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Connection, LargeBinary, String, Table, Text, select

from ledger.store.schema import PositionType, UtcDateTime, metadata

# Every checkpoint the ledger signed, at most one per tree size; like events, never changed.
checkpoints = Table(
    "signed_checkpoints",
    metadata,
    Column("size", PositionType, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", UtcDateTime(), nullable=False),
    CheckConstraint("size >= 0", name="size_not_negative"),
)


# Witnesses' cosignatures (C2SP tlog-cosignature) on a signed checkpoint: one signature line
# per witness key, as the witness answered it; the published checkpoint is the ledger's note
# followed by these lines, ordered by ``witness``. Never changed, like the checkpoints.
cosignatures = Table(
    "checkpoint_cosignatures",
    metadata,
    Column("size", PositionType, primary_key=True, autoincrement=False),
    Column("witness", String(300), primary_key=True),
    Column("line", Text, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
)


def signed_roots(connection: Connection) -> dict[int, bytes]:
    """The root every signed checkpoint holds, by tree size: what the integrity walk checks."""
    rows = connection.execute(select(checkpoints.c.size, checkpoints.c.root))
    return {size: bytes(root) for size, root in rows}
