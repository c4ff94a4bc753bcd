"""Serving the tree as C2SP tlog-tiles: hash tiles and entry bundles read from the database.

Their paths and sizes are ``ledger.tlog.layout``'s. Every full tile is one stored row
(``merkle_tiles`` at level 0, ``merkle_upper_tiles`` above), so serving it is one primary-key
read. Only the right edge is read from smaller pieces: a partial level-0 tile from the newest
events' hashes (at most 255), a partial upper tile from the stored nodes of its level
(``merkle_nodes``), never recomputed from the log.

Tiles depend only on the log's prefix they cover, so whatever is served is immutable; what the
tree does not have yet is ``NotFound``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import Connection, select

from ledger.errors import NotFound
from ledger.store import SqlEventStore
from ledger.store.schema import events, merkle_nodes, merkle_tiles, merkle_upper_tiles
from ledger.store.tree import HASHES_BETWEEN
from ledger.tlog.layout import ENTRY_PREFIX, TILE_LEVELS, TILE_WIDTH, TileAddress, event_leaf


class TileReader:
    """Reads tiles and entry bundles of one store's tree, keeping the newest full ones read.

    A full tile never changes once the tree has it, so up to ``keep`` of them (8 KiB each) are
    kept in memory and served without a database read; partial tiles are read each time.
    """

    def __init__(self, store: SqlEventStore, keep: int = 1024) -> None:
        self.store = store
        self.keep = keep
        self._full: OrderedDict[TileAddress, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def cached(self, address: TileAddress) -> bytes | None:
        """A full tile read before, without touching the database (safe on the event loop)."""
        with self._lock:
            data = self._full.get(address)
            if data is not None:
                self._full.move_to_end(address)
            return data

    def read(self, address: TileAddress) -> bytes:
        data = self._read(address)
        if address.full:
            with self._lock:
                self._full[address] = data
                while len(self._full) > self.keep:
                    self._full.popitem(last=False)
        return data

    def _read(self, address: TileAddress) -> bytes:
        with self.store.read_connection() as connection:
            size = SqlEventStore.head_position_in(connection)
            if address.leaves_needed() > size:
                raise NotFound(
                    f"no {address.path}: the tree has {size} leaves, the tile needs "
                    f"{address.leaves_needed()}"
                )
            if address.level is None:
                return entry_bundle(connection, address)
            return hash_tile(connection, address)


def hash_tile(connection: Connection, address: TileAddress) -> bytes:
    level, index, width = address.level or 0, address.index, address.width
    if address.full:
        table = merkle_tiles if level == 0 else merkle_upper_tiles
        query = select(table.c.hashes).where(table.c.idx == index)
        if level > 0:
            query = query.where(merkle_upper_tiles.c.level == level)
        stored = connection.execute(query).scalar()
        if stored is None:
            raise LookupError(f"tile {level}/{index} is not stored: run `ledger projections rebuild`")
        return bytes(stored)
    first = index * TILE_WIDTH
    if level == 0:
        hashes = connection.execute(HASHES_BETWEEN, {"after": first, "last": first + width})
        return b"".join(event_leaf(h) for h in hashes.scalars())
    rows = connection.execute(
        select(merkle_nodes.c.hash)
        .where(
            merkle_nodes.c.level == level * TILE_LEVELS,
            merkle_nodes.c.idx.between(first, first + width - 1),
        )
        .order_by(merkle_nodes.c.idx)
    ).scalars()
    return b"".join(bytes(h) for h in rows)


def entry_bundle(connection: Connection, address: TileAddress) -> bytes:
    first = address.index * TILE_WIDTH
    hashes = connection.execute(
        select(events.c.hash)
        .where(events.c.position > first, events.c.position <= first + address.width)
        .order_by(events.c.position)
    ).scalars()
    return b"".join(ENTRY_PREFIX + bytes.fromhex(h) for h in hashes)
