"""The ledger as a transparency log: signed checkpoints, proofs, and receipts for writes.

The tree itself is kept by the store inside each append (``ledger.store.tree``); this module
reads it and signs it. A write asking for a receipt has its group commit sealed: the batch's
new head is signed inside the append transaction and its checkpoint row commits with the events,
one signature and no extra commit per batch, however many writers it holds. Otherwise a
checkpoint is signed on demand (``ledger checkpoint sign``, ``GET /v1/audit/checkpoint``) or by
the server's timer, at most once per tree size, and every signed checkpoint is kept.
"""

from __future__ import annotations

import base64
import logging
import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, desc, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ledger.tlog.merkle import consistency_ranges, inclusion_ranges
from ledger.audit.note import (
    Checkpoint,
    NoteError,
    SigningKey,
    VerifierKey,
    open_checkpoint,
    sign_note,
)
from ledger.audit.tiles import TileReader
from ledger.audit.witnessing import WitnessPusher
from ledger.errors import (
    InvalidEvent,
    InvalidInput,
    LedgerError,
    NoSigningKey,
    NotFound,
    StorageUnavailable,
)
from ledger.store import RecordedEvent, SqlEventStore, utc_now
from ledger.store.records import format_instant
from ledger.audit.schema import checkpoints, cosignatures
from ledger.store.tree import SealedEdge, TreeCache, TreeReader

logger = logging.getLogger("ledger.audit")


def b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as the ledger signed and kept it, with the witnesses' cosignatures.

    ``note`` is what the ledger signed (one signature line); ``published`` adds the
    cosignature lines witnesses returned, ordered by witness, as the checkpoint is served.
    """

    size: int
    root: bytes
    note: str
    signed_at: datetime
    cosignatures: tuple[str, ...] = ()

    @property
    def published(self) -> str:
        return self.note + "".join(line + "\n" for line in self.cosignatures)

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": b64(self.root),
            "signed_at": format_instant(self.signed_at),
            "note": self.published,
        }


@dataclass(frozen=True)
class InclusionProof:
    position: int
    tree_size: int
    leaf_hash: bytes
    proof: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "tree_size": self.tree_size,
            "leaf_hash": b64(self.leaf_hash),
            "proof": [b64(h) for h in self.proof],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {"from": self.first, "to": self.second, "proof": [b64(h) for h in self.proof]}


def load_signing_key(path: Path) -> SigningKey:
    """The signing key in ``path`` (written by ``ledger keys generate``)."""
    try:
        return SigningKey.parse(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InvalidInput("signing_key_file", f"cannot read {path}: {error.strerror}") from None
    except NoteError as error:
        raise InvalidInput("signing_key_file", f"{path}: {error}") from None


class CheckpointSealer:
    """Signs the tree as a group commit leaves it, inside that commit's transaction (the store's
    ``Sealer``), and remembers the newest checkpoint this process knows is kept.

    Made before the store (the store is given it), and shared with the ``TransparencyLog``
    over that store, whose receipts find the checkpoint their own commit sealed with no read.
    """

    def __init__(
        self,
        key: SigningKey | None,
        *,
        origin: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        witnesses: WitnessPusher | None = None,
    ) -> None:
        self.key = key
        self.origin = origin or (key.name if key is not None else "claims-ledger")
        self.clock = clock
        self.newest: SignedCheckpoint | None = None
        self._newest_lock = threading.Lock()
        self.witnesses = witnesses  # asked to cosign each checkpoint kept (a witness policy's)
        self.tree = TreeCache()  # the right edge each seal read, offered once it is durable
        self.edge: SealedEdge | None = None  # the right edge of the newest durable seal

    def signed(self, size: int, root: bytes) -> SignedCheckpoint:
        """A new checkpoint of the tree of ``size`` with ``root``, signed now."""
        note = sign_note(Checkpoint(self.origin, size, root).text, self.signing_key())
        return SignedCheckpoint(size, root, note, self.clock())

    def seal(self, connection: Connection) -> Callable[[], None] | None:
        """Sign the tree as this write transaction leaves it; keep the checkpoint in it.

        The store calls this under the append lock, once per group commit holding a write that
        wants a receipt, so the checkpoint is durable with the events it covers. Returns what
        makes it this process's newest once the commit is durable (None if nothing grew).
        """
        size = SqlEventStore.head_position_in(connection)
        newest = self.newest
        if size == 0 or (newest is not None and newest.size >= size):
            return None
        edge = self._edge_of(connection, size)  # signs what the database holds: never the cache
        signed = self.signed(size, edge.root())
        if connection.execute(insert_if_new(connection), _checkpoint_row(signed)).rowcount == 0:
            return None  # signed already (a batch of retries only): that one is kept

        def durable() -> None:
            self._keep_edge(edge)  # committed now: receipts read the new leaves from memory
            self.remember(signed)

        return durable

    def _edge_of(self, connection: Connection, size: int) -> SealedEdge:
        """The tree of ``size``'s right edge: the last durable seal's grown by the events after
        it (a batch's); read from the database with none to grow (a first seal) or when the
        database no longer holds the last seal's edge (a rewritten history)."""
        edge = self.edge
        grown = None if edge is None or edge.size > size else edge.grown(connection, size)
        return grown or SealedEdge.read(connection, size)

    def _keep_edge(self, edge: SealedEdge) -> None:
        with self._newest_lock:
            if self.edge is None or edge.size > self.edge.size:
                self.edge = edge
        edge.offer(self.tree)

    def remember(self, signed: SignedCheckpoint) -> None:
        """``signed`` is kept: the newest this process knows, if it is; witnesses are asked."""
        with self._newest_lock:
            newer = self.newest is None or signed.size > self.newest.size
            if newer:
                self.newest = signed
        if newer and self.witnesses is not None:
            self.witnesses.submit(signed.size, signed.note)  # never waits for a witness

    def signing_key(self) -> SigningKey:
        if self.key is None:
            raise NoSigningKey(
                "the ledger has no signing key: set LEDGER_SIGNING_KEY_FILE "
                "(create one with `ledger keys generate`)"
            )
        return self.key


def insert_if_new(connection: Connection) -> Any:
    """An INSERT of a checkpoint row that does nothing when its size is signed already."""
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    return insert(checkpoints).on_conflict_do_nothing(index_elements=["size"])


class TransparencyLog:
    """Checkpoints and proofs over one store; ``key`` None means nothing can be signed.

    ``sealer``: the one the store seals its commits with (``bootstrap``); without it the log
    signs on demand only.
    """

    def __init__(self, store: SqlEventStore, sealer: CheckpointSealer) -> None:
        self.store = store
        self.sealer = sealer  # the store's own (bootstrap gives both the same): its key and clock
        self.key = sealer.key
        self.origin = sealer.origin
        self.clock = sealer.clock
        self._signing = threading.Lock()
        self.tree = self.sealer.tree  # what this log's readers and its seals read, shared
        self.tiles = TileReader(store)  # the tree as C2SP tlog-tiles

    @property
    def witnesses(self) -> WitnessPusher | None:
        return self.sealer.witnesses

    def witness_newest(self) -> None:
        """Ask the witnesses to cosign the newest kept checkpoint (a server's start).

        Nothing is read without witnesses and a key: a server may start on a database that
        is not migrated yet (its readiness check says so).
        """
        if self.witnesses is None or self.key is None:
            return
        try:
            newest = self.latest_kept()
        except (LedgerError, SQLAlchemyError):
            return  # nothing kept to ask about yet; the next checkpoint signed is asked
        if newest is not None:
            self.witnesses.submit(newest.size, newest.note)

    def keep_cosignature(self, size: int, witness: str, line: str) -> None:
        """Keep a witness's verified cosignature on the checkpoint of ``size`` (the first one
        per witness and size is kept; a second, with another timestamp, adds nothing)."""
        dialect = self.store.backend.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(cosignatures).on_conflict_do_nothing(index_elements=["size", "witness"])
        row = {"size": size, "witness": witness, "line": line, "received_at": self.clock()}
        self.store.write(lambda connection: connection.execute(statement, row))

    @property
    def verifier(self) -> VerifierKey:
        return self.sealer.signing_key().verifier

    # -- checkpoints -------------------------------------------------------------------------

    def sign(self) -> SignedCheckpoint:
        """A checkpoint of the tree as it is now: the kept one if this size is signed already."""
        with self._signing:
            return self._sign_head()

    def _sign_head(self) -> SignedCheckpoint:
        self.sealer.signing_key()
        with self.store.read_connection() as connection:
            size = SqlEventStore.head_position_in(connection)
            kept = _checkpoint_at(connection, size)
            if kept is not None:
                return kept
            root = TreeReader(connection).root(size)  # what is signed is read, never cached
        return self._keep(self.sealer.signed(size, root))

    def _keep(self, signed: SignedCheckpoint) -> SignedCheckpoint:
        """Store a new checkpoint with the next group commit; a size signed already is kept as is.

        Another process may have signed this size first: the insert then does nothing and the
        checkpoint it stored is the one returned, so every size has one checkpoint only.
        """
        row = _checkpoint_row(signed)

        def work(connection: Connection) -> SignedCheckpoint | None:
            connection.execute(insert_if_new(connection), row)
            return _checkpoint_at(connection, signed.size)

        kept = signed if (stored := self.store.write(work)) is None else stored
        self.sealer.remember(kept)
        return kept

    def latest(self) -> SignedCheckpoint:
        """The newest checkpoint, signing one first when the log has none or has grown."""
        with self.store.read_connection() as connection:
            kept = latest_checkpoint(connection)
            size = SqlEventStore.head_position_in(connection)
        if kept is not None and kept.size == size:
            return kept
        try:
            return self.sign()
        except StorageUnavailable:
            if kept is None:
                raise
            return kept  # a read-only or full database: the newest checkpoint it has

    def latest_kept(self) -> SignedCheckpoint | None:
        with self.store.read_connection() as connection:
            return latest_checkpoint(connection)

    def at_size(self, size: int) -> SignedCheckpoint:
        with self.store.read_connection() as connection:
            kept = _checkpoint_at(connection, size)
        if kept is None:
            raise NotFound(f"no checkpoint was signed at size {size}")
        return kept

    def covering(self, position: int) -> SignedCheckpoint:
        """A checkpoint whose tree holds ``position``: the newest kept one, or a new one.

        A write that asked for a receipt finds the checkpoint its own commit sealed, with no
        read. Otherwise writers that arrive together share one signature: whoever signs covers
        every event committed by then, and the others find it kept once they have the lock.
        """
        newest = self.sealer.newest
        if newest is not None and newest.size >= position:
            return newest
        kept = self.latest_kept()
        if kept is not None and kept.size >= position:
            return kept
        with self._signing:
            kept = self.latest_kept()
            if kept is not None and kept.size >= position:
                return kept
            return self._sign_head()

    def quorum_covering(self, position: int, look: int = 16) -> SignedCheckpoint | None:
        """The newest checkpoint holding ``position`` whose cosignatures meet the quorum."""
        if self.witnesses is None or self.witnesses.policy.quorum is None:
            return None
        policy = self.witnesses.policy
        sizes = (
            select(cosignatures.c.size)
            .where(cosignatures.c.size >= position)
            .group_by(cosignatures.c.size)
            .order_by(desc(cosignatures.c.size))
            .limit(look)
        )
        with self.store.read_connection() as connection:
            for size in connection.execute(sizes).scalars().all():
                signed = _checkpoint_at(connection, size)
                if signed is None:
                    continue
                labels = [line_label(line) for line in signed.cosignatures]
                if policy.satisfied(policy.by_label(labels)):
                    return signed
        return None

    def history(self, *, after: int = -1, limit: int = 100) -> list[SignedCheckpoint]:
        """Kept checkpoints with sizes above ``after``, smallest first."""
        with self.store.read_connection() as connection:
            return history_in(connection, after=after, limit=limit)

    def sign_if_grown(self) -> SignedCheckpoint | None:
        """The timer's job: sign when the log has grown past the latest checkpoint."""
        if self.key is None:
            return None
        with self.store.read_connection() as connection:
            kept = latest_checkpoint(connection)
            size = SqlEventStore.head_position_in(connection)
        if kept is not None and kept.size >= size:
            return None
        return self.sign()

    def check_signatures(self, page: int = 1000) -> str | None:
        """The first kept checkpoint whose note this ledger's key does not verify, if any.

        Needs the key: a checkpoint row forged in the database (size, root and note made up)
        carries no valid signature, and one edited after signing no longer matches its note.
        """
        verifier, after = self.verifier, -1
        while kept := self.history(after=after, limit=page):
            for signed in kept:
                try:
                    checkpoint = open_checkpoint(signed.note, verifier)
                except NoteError as error:
                    return f"the checkpoint of size {signed.size}: {error}"
                if (checkpoint.size, checkpoint.root) != (signed.size, signed.root):
                    return f"the checkpoint of size {signed.size} does not match its signed note"
            after = kept[-1].size
        return None

    # -- proofs ------------------------------------------------------------------------------

    def inclusion(self, position: int, tree_size: int | None = None) -> InclusionProof:
        """The proof that the event at ``position`` is leaf position - 1 of the tree of a size."""
        with self.store.read_connection() as connection:
            size = self._size_within(connection, tree_size, "tree_size")
            if not 1 <= position <= size:
                raise InvalidEvent(
                    "position", f"a position from 1 to the tree size {size} is needed"
                )
            return self._inclusion_in(connection, position, size)

    def _inclusion_in(self, connection: Connection, position: int, size: int) -> InclusionProof:
        reader = TreeReader(connection, self.tree)
        proof = reader.hashes(inclusion_ranges(position - 1, size))
        return InclusionProof(position, size, reader.leaf(position - 1), proof)

    def consistency(self, first: int, second: int | None = None) -> ConsistencyProof:
        """The proof that the tree of size ``first`` is a prefix of the tree of ``second``."""
        with self.store.read_connection() as connection:
            size = self._size_within(connection, second, "to")
            if not 1 <= first <= size:
                raise InvalidEvent("from", f"a size from 1 to {size} (the 'to' size) is needed")
            ranges = consistency_ranges(first, size) if first < size else []
            return ConsistencyProof(first, size, TreeReader(connection, self.tree).hashes(ranges))

    def root(self, size: int) -> bytes:
        with self.store.read_connection() as connection:
            self._size_within(connection, size, "size")
            return TreeReader(connection, self.tree).root(size)

    def receipt(self, event: RecordedEvent) -> dict[str, Any]:
        """What proves that the ledger accepted ``event``: a checkpoint and the inclusion proof.

        With a witness policy, the checkpoint is the newest one covering the event that its
        quorum cosigned, where there is one; otherwise (a fresh write: witnesses are asked in
        the background) the ledger's own newest, with whatever cosignatures it has.
        """
        signed = self.quorum_covering(event.position) or self.covering(event.position)
        with self.store.read_connection() as connection:  # a signed size is a size the tree has
            proof = self._inclusion_in(connection, event.position, signed.size)
        return {
            "position": event.position,
            "event_hash": event.hash,
            **{k: v for k, v in proof.to_json().items() if k != "position"},
            "checkpoint": signed.published,
        }

    def written(self, event: RecordedEvent) -> dict[str, Any]:
        """A write's answer: the stored envelope plus ``receipt``, the one place it is made.

        The event is durable before this runs, so a receipt that cannot be made now (no signing
        key; the database refusing the checkpoint's row) leaves ``receipt`` null rather than
        turning a committed write into an error: ``GET /v1/audit/proofs/inclusion`` gives the
        proof later. A writer that asked for a receipt finds its checkpoint in the sealer's
        memory: its own batch's commit signed it.
        """
        answer = event.to_json()
        answer["receipt"] = None
        if self.key is None:
            return answer
        try:
            answer["receipt"] = self.receipt(event)
        except LedgerError as error:
            logger.warning("no receipt for position %s: %s", event.position, error)
        return answer

    def _size_within(self, connection: Connection, size: int | None, field: str) -> int:
        current = SqlEventStore.head_position_in(connection)
        if size is None:
            kept = latest_checkpoint(connection)
            return kept.size if kept is not None else current
        if not 0 <= size <= current:
            raise InvalidEvent(field, f"a tree size from 0 to the current size {current}")
        return size


def history_in(connection: Connection, *, after: int, limit: int) -> list[SignedCheckpoint]:
    """Kept checkpoints with sizes above ``after``, smallest first, with their cosignatures."""
    query = (
        select(checkpoints)
        .where(checkpoints.c.size > after)
        .order_by(checkpoints.c.size)
        .limit(limit)
    )
    return with_cosignatures(connection, [_signed(row) for row in connection.execute(query)])


def _checkpoint_at(connection: Connection, size: int) -> SignedCheckpoint | None:
    row = connection.execute(select(checkpoints).where(checkpoints.c.size == size)).first()
    return None if row is None else with_cosignatures(connection, [_signed(row)])[0]


def with_cosignatures(
    connection: Connection, kept: list[SignedCheckpoint]
) -> list[SignedCheckpoint]:
    """The checkpoints with the cosignature lines kept for them, in one query."""
    if not kept:
        return kept
    query = (
        select(cosignatures.c.size, cosignatures.c.line)
        .where(cosignatures.c.size.between(kept[0].size, kept[-1].size))
        .where(cosignatures.c.size.in_([signed.size for signed in kept]))
        .order_by(cosignatures.c.size, cosignatures.c.witness)
    )
    lines: dict[int, list[str]] = {}
    for size, line in connection.execute(query):
        lines.setdefault(size, []).append(line)
    return [
        dataclasses.replace(signed, cosignatures=tuple(lines[signed.size]))
        if signed.size in lines
        else signed
        for signed in kept
    ]


def line_label(line: str) -> str:
    """A signature line's key as ``<name>+<hex key id>``."""
    name, _, encoded = line.removeprefix("\u2014 ").partition(" ")
    return f"{name}+{base64.b64decode(encoded)[:4].hex()}"


def _checkpoint_row(signed: SignedCheckpoint) -> dict[str, Any]:
    return {
        "size": signed.size,
        "root": signed.root,
        "note": signed.note,
        "signed_at": signed.signed_at,
    }


def latest_checkpoint(connection: Connection) -> SignedCheckpoint | None:
    """The newest kept checkpoint, or None before the first."""
    query = select(checkpoints).order_by(desc(checkpoints.c.size)).limit(1)
    row = connection.execute(query).first()
    return None if row is None else with_cosignatures(connection, [_signed(row)])[0]


def _signed(row: Any) -> SignedCheckpoint:
    return SignedCheckpoint(row.size, bytes(row.root), row.note, row.signed_at)

