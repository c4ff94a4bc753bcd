"""The integrity walk: every hash and link, the stored Merkle nodes and the kept checkpoints' roots.

One pass over the log, a page at a time. The chain catches a change that was not re-hashed;
the tree and checkpoint checks catch stored nodes that disagree with the events, and events
that no longer give the root a kept checkpoint signed. An insider who rewrites events, chain,
tree and checkpoint table alike passes this walk: that is what checkpoints kept outside the
ledger, and ``ledger audit consistency``, are for (docs/audit.md).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from datetime import datetime

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ledger.store.records import Chain
from ledger.store.schema import (
    merkle_nodes,
    merkle_tiles,
    merkle_upper_tiles,
    verifications,
)
from ledger.store.sql import SqlEventStore
from ledger.store.tree import TILE_LEVELS, TILE_WIDTH, CompactRange, event_leaf


@dataclass(frozen=True, slots=True)
class Verification:
    """How many events were checked, and the first thing found wrong, if any."""

    checked: int
    first_bad_position: int | None = None
    reason: str | None = None
    tree_size: int = 0
    root: bytes = b""
    checkpoints_checked: int = 0

    @property
    def ok(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_position": self.first_bad_position,
            "reason": self.reason,
            "tree_size": self.tree_size,
            "root": base64.b64encode(self.root).decode(),
            "checkpoints_checked": self.checkpoints_checked,
        }


KeptRoots = Callable[[Connection], dict[int, bytes]]


def no_kept_roots(_connection: Connection) -> dict[int, bytes]:
    """A log with no signed checkpoints to hold its roots against."""
    return {}


def verify(
    store: SqlEventStore, *, kept_roots: KeptRoots = no_kept_roots, page_size: int = 1000
) -> Verification:
    """Walk the chain from the genesis; memory stays small whatever the log's length.

    ``kept_roots`` reads the roots the audit's signed checkpoints hold, by tree size (the audit
    owns that table): each must be the root the events give at that size.
    """
    with store.read_connection() as connection:
        stored_nodes = {
            (level, idx): bytes(digest)
            for level, idx, digest in connection.execute(select(merkle_nodes))
        }
        held = kept_roots(connection)
        upper_fault = _check_upper_tiles(connection, stored_nodes)
    if upper_fault is not None:
        return Verification(0, None, upper_fault)
    edge = CompactRange()
    tile_leaves: list[bytes] = []
    chain = Chain()
    checked_roots = _check_root(edge, held)
    if isinstance(checked_roots, str):
        return Verification(0, None, checked_roots)
    for event in store.read_all(page_size=page_size):
        fault = chain.fault(event)
        if fault is None:
            leaf = event_leaf(event.hash)
            fault = _check_nodes(edge.push(leaf), stored_nodes)
            tile_leaves.append(leaf)
        if fault is None and len(tile_leaves) == TILE_WIDTH:
            fault = _check_tile(store, event.position // TILE_WIDTH - 1, tile_leaves)
            tile_leaves = []
        if fault is not None:
            return Verification(chain.position + 1, event.position, fault)
        chain.take(event)
        roots = _check_root(edge, held)
        if isinstance(roots, str):
            return Verification(chain.position, event.position, roots)
        checked_roots += roots
    checked = chain.position  # positions run 1..n without a gap, as the chain checked
    if stored_nodes:
        level, index = min(stored_nodes)
        return Verification(checked, None, f"merkle node {level}/{index} lies beyond the log")
    with store.read_connection() as connection:
        last_tile = connection.execute(select(func.max(merkle_tiles.c.idx))).scalar()
    if last_tile is not None and (last_tile + 1) * TILE_WIDTH > checked:
        return Verification(checked, None, f"merkle tile {last_tile} lies beyond the log")
    beyond = sorted(size for size in held if size > checked)
    if beyond:
        return Verification(checked, None, f"a checkpoint of size {beyond[0]} lies beyond the log")
    return Verification(checked, None, None, edge.size, edge.root(), checked_roots)


def _check_nodes(
    completed: list[tuple[int, int, bytes]], stored: dict[tuple[int, int], bytes]
) -> str | None:
    for level, index, digest in completed:
        kept = stored.pop((level, index), None)
        if kept is None:
            return f"merkle node {level}/{index} is missing"
        if kept != digest:
            return f"merkle node {level}/{index} does not match the events"
    return None


def _check_upper_tiles(connection: Any, stored: dict[tuple[int, int], bytes]) -> str | None:
    """Every full tile above level 0 is the stored nodes it is made of (checked against the
    events in the walk), and every full tile those nodes make is stored."""
    tiles = {
        (level, idx): bytes(hashes)
        for level, idx, hashes in connection.execute(select(merkle_upper_tiles))
    }
    for level, idx in sorted({(lv // TILE_LEVELS, ix // TILE_WIDTH) for lv, ix in stored
                              if lv % TILE_LEVELS == 0}):
        first = idx * TILE_WIDTH
        hashes = [stored.get((level * TILE_LEVELS, first + i)) for i in range(TILE_WIDTH)]
        if any(h is None for h in hashes):
            continue  # a partial tile: never stored
        kept = tiles.pop((level, idx), None)
        if kept is None:
            return f"merkle tile {level}/{idx} is missing"
        if kept != b"".join(h for h in hashes if h is not None):
            return f"merkle tile {level}/{idx} does not match the events"
    if tiles:
        level, idx = min(tiles)
        return f"merkle tile {level}/{idx} lies beyond the log"
    return None


def _check_tile(store: SqlEventStore, tile: int, leaves: list[bytes]) -> str | None:
    with store.read_connection() as connection:
        query = select(merkle_tiles.c.hashes).where(merkle_tiles.c.idx == tile)
        stored = connection.execute(query).scalar()
    if stored is None:
        return f"merkle tile {tile} is missing"
    if bytes(stored) != b"".join(leaves):
        return f"merkle tile {tile} does not match the events"
    return None


def _check_root(edge: CompactRange, kept_roots: dict[int, bytes]) -> int | str:
    """1 when a kept checkpoint of this size matches, 0 when there is none, else the fault."""
    kept = kept_roots.get(edge.size)
    if kept is None:
        return 0
    if kept != edge.root():
        return f"the checkpoint of size {edge.size} signed another root than the events give"
    return 1


@dataclass(frozen=True, slots=True)
class KeptVerification:
    """A walk's result as ``Verification.to_json`` gave it, and when it ran."""

    verified_at: datetime
    result: dict[str, object]


def keep_verification(store: SqlEventStore, result: Verification, at: datetime) -> bool:
    """Keep a walk's result, for those who may read it but not make a walk of their own.

    False when the database refuses (read-only, full): the walk's answer stands without it."""
    try:
        with store.engine.begin() as connection:
            row = {"verified_at": at, "result": result.to_json()}
            connection.execute(insert(verifications).values(**row))
    except SQLAlchemyError as error:
        logging.getLogger("ledger.audit").warning("verification not kept: %s", type(error).__name__)
        return False
    return True


def last_verification(store: SqlEventStore) -> KeptVerification | None:
    """The latest walk kept, or None if none was."""
    latest = select(verifications.c.verified_at, verifications.c.result)
    with store.read_connection() as connection:
        row = connection.execute(latest.order_by(verifications.c.id.desc()).limit(1)).first()
    return None if row is None else KeptVerification(row[0], dict(row[1]))
