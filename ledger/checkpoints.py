"""The signed checkpoints an archive carries, for export, import and metrics.

A ``CheckpointSource`` gives the latest checkpoint, every kept checkpoint in size order (an
export writes them all after the events), checks an archive's checkpoint against the events
it imported (``verify_imported``) and keeps it (``keep_imported``), so a move keeps the whole
signed history: an auditor's saved checkpoint is still served by size on the target, and an
export of the target is the same bytes as the archive it was imported from.
``KeptCheckpoints`` is the one source: the audit's signed checkpoints with the witnesses'
cosignatures; a ledger that signs nothing simply has none kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, insert

from ledger.audit.log import SignedCheckpoint, history_in, latest_checkpoint, line_label
from ledger.audit.cosignature import CosignerVerifier
from ledger.audit.note import Checkpoint as NoteCheckpoint
from ledger.audit.note import NoteError, VerifierKey, open_note, split_note
from ledger.store import utc_now
from ledger.audit.schema import checkpoints as checkpoints_table
from ledger.audit.schema import cosignatures as cosignatures_table
from ledger.store.tree import TreeReader

PAGE = 1000


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed checkpoint: the log's size it commits to, the note as published (the log's
    signature, then any witnesses' cosignatures) and when the log signed it, where known."""

    size: int
    text: str
    signed_at: datetime | None = None


class CheckpointSource(Protocol):
    def latest(self, connection: Connection) -> Checkpoint | None:
        """The latest checkpoint, or None when the ledger has none."""
        ...

    def kept(self, connection: Connection, head: int) -> Iterator[Checkpoint]:
        """Every kept checkpoint of a size up to ``head``, smallest first."""
        ...

    def verify_imported(self, connection: Connection, text: str, head: int) -> str | None:
        """Check an archive's checkpoint against the events just imported (same transaction).

        Returns None when it verifies, else why not (the import is then refused).
        """
        ...

    def keep_imported(self, connection: Connection, checkpoint: Checkpoint) -> None:
        """Keep a verified checkpoint of the archive among the target's checkpoints."""
        ...


class KeptCheckpoints:
    """The ledger's signed checkpoints as an archive's: every kept one is exported, and an
    imported one must carry the Merkle root the imported events give at its size.

    With ``verifier`` (the log's public key), its signature is checked as well; without it,
    only its form, size and root (a checkpoint signed by an unknown key proves no more). The
    log's own signature is the note's first; the lines after it are witnesses' cosignatures:
    those by the ``witnesses`` of the target's policy must verify, the others are kept as they
    were published.
    """

    def __init__(
        self, verifier: VerifierKey | None = None, witnesses: Iterable[CosignerVerifier] = ()
    ) -> None:
        self.verifier = verifier
        self.witnesses = {witness.label: witness for witness in witnesses}

    def latest(self, connection: Connection) -> Checkpoint | None:
        kept = latest_checkpoint(connection)
        return None if kept is None else _archived(kept)

    def kept(self, connection: Connection, head: int) -> Iterator[Checkpoint]:
        after = -1
        while page := history_in(connection, after=after, limit=PAGE):
            for signed in page:
                if signed.size > head:
                    return
                yield _archived(signed)
            after = page[-1].size

    def verify_imported(self, connection: Connection, text: str, head: int) -> str | None:
        try:
            body, signatures = split_note(text)
            if self.verifier is not None:
                open_note(text, self.verifier)
                name, signature = signatures[0]
                if (name, int.from_bytes(signature[:4], "big")) != (
                    self.verifier.name,
                    self.verifier.key_id,
                ):
                    return "its first signature is not the log's"
            signed = NoteCheckpoint.parse(body)
        except NoteError as error:
            return str(error)
        if signed.size > head:
            return f"it covers {signed.size} events; the archive holds {head}"
        if TreeReader(connection).root(signed.size) != signed.root:
            return f"its root is not the Merkle root of the first {signed.size} events"
        return self._cosignature_fault(text)

    def _cosignature_fault(self, text: str) -> str | None:
        """A cosignature by a witness of the target's policy must verify; others are kept as
        they were published (their keys are not known here)."""
        body, _ = split_note(text)
        for label, line in split_published(text)[1]:
            witness = self.witnesses.get(label)
            if witness is None:
                continue
            try:
                witness.timestamp_of(body, line)
            except NoteError as error:
                return str(error)
        return None

    def keep_imported(self, connection: Connection, checkpoint: Checkpoint) -> None:
        note, cosigned = split_published(checkpoint.text)
        signed = NoteCheckpoint.parse(split_note(note)[0])
        signed_at = checkpoint.signed_at or utc_now()  # an archive written without signed_at
        connection.execute(
            insert(checkpoints_table),
            {"size": signed.size, "root": signed.root, "note": note, "signed_at": signed_at},
        )
        rows = [
            {"size": signed.size, "witness": witness, "line": line, "received_at": signed_at}
            for witness, line in cosigned
        ]
        if rows:
            connection.execute(insert(cosignatures_table), rows)


def split_published(text: str) -> tuple[str, list[tuple[str, str]]]:
    """A published checkpoint as the log's note (its text and first signature line) and the
    cosignature lines after it, each with the witness key it names (``<name>+<hex id>``)."""
    body, _ = split_note(text)  # checks the form of every signature line
    lines = text[len(body) + 1 :].splitlines()
    return f"{body}\n{lines[0]}\n", [(line_label(line), line) for line in lines[1:]]


def _archived(signed: SignedCheckpoint) -> Checkpoint:
    return Checkpoint(signed.size, signed.published, signed.signed_at)
