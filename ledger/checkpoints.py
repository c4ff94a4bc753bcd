"""Where the latest signed checkpoint comes from, for export, import and metrics.

A ``CheckpointSource`` gives the latest checkpoint (its tree size and its signed note text),
and ``verify_imported`` is the one hook an import calls to check an archive's checkpoint
against the events it imported. ``KeptCheckpoints`` reads issue 12's signed checkpoints and
checks an imported one's Merkle root (and, given the log's verifier key, its signature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection

from ledger.audit.log import latest_checkpoint
from ledger.audit.note import Checkpoint as NoteCheckpoint
from ledger.audit.note import NoteError, VerifierKey, open_note, split_note
from ledger.store.tree import TreeReader


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


class KeptCheckpoints:
    """Issue 12's signed checkpoints as an archive's: the newest kept one is exported, and an
    imported one must carry the Merkle root the imported events give at its size.

    With ``verifier`` (the log's public key), its signature is checked as well; without it,
    only its form, size and root (a checkpoint signed by an unknown key proves no more).
    """

    def __init__(self, verifier: VerifierKey | None = None) -> None:
        self.verifier = verifier

    def latest(self, connection: Connection) -> Checkpoint | None:
        kept = latest_checkpoint(connection)
        return None if kept is None else Checkpoint(kept.size, kept.note)

    def verify_imported(self, connection: Connection, text: str, head: int) -> str | None:
        try:
            body = open_note(text, self.verifier) if self.verifier else split_note(text)[0]
            signed = NoteCheckpoint.parse(body)
        except NoteError as error:
            return str(error)
        if signed.size > head:
            return f"it covers {signed.size} events; the archive holds {head}"
        if TreeReader(connection).root(signed.size) != signed.root:
            return f"its root is not the Merkle root of the first {signed.size} events"
        return None
