"""Where the latest signed checkpoint comes from, for export, import and metrics.

The Merkle tree and signed checkpoints (issue 12) plug in here: a ``CheckpointSource`` gives
the latest checkpoint (its tree size and its signed note text), and ``verify_checkpoint`` is
the one hook an import calls to check a checkpoint against the events it imported. Until that
lands, a ledger has no checkpoints: exports end after the last event and an archive's
checkpoint is kept as text, its signature and root not checked (the import says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed checkpoint: the log's size it commits to, and the note as it was signed."""

    size: int
    text: str


class CheckpointSource(Protocol):
    def latest(self, connection: Connection) -> Checkpoint | None:
        """The latest checkpoint, or None when the ledger has none."""
        ...

    def verify_imported(self, connection: Connection, text: str, head: int) -> str | None:
        """Check an archive's checkpoint against the events just imported (same transaction).

        Returns None when it verifies, else why not (the import is then refused). The issue-12
        implementation recomputes the Merkle root over positions 1..size and checks the
        note's root and signature; it may also fill its tree table here.
        """
        ...


class NoCheckpoints:
    """A ledger without signed checkpoints (before issue 12)."""

    def latest(self, connection: Connection) -> Checkpoint | None:
        return None

    def verify_imported(self, connection: Connection, text: str, head: int) -> str | None:
        if not text.strip():
            return "the checkpoint is empty"
        return None  # nothing to check it against yet: kept, reported as unverified
