"""The tree as C2SP tlog-tiles: hash tiles, entry bundles and their paths (c2sp.org/tlog-tiles).

Tile ``(L, N)`` holds the hashes of the level-8L subtrees 256N .. 256N+255 (level 0: the leaf
hashes); a partial tile of width W < 256 holds the first W of them, once the tree has them.
Every full tile is one stored row (``merkle_tiles`` at level 0, ``merkle_upper_tiles`` above),
so serving it is one primary-key read. Only the right edge is read from smaller pieces: a
partial level-0 tile from the newest events' hashes (at most 255), a partial upper tile from
the stored nodes of its level (``merkle_nodes``), never recomputed from the log. An entry
bundle holds each event's leaf input (its 32-byte hash) behind a big-endian uint16 length.

Tiles depend only on the log's prefix they cover, so whatever is served is immutable; what the
tree does not have yet is ``NotFound``.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, select

from ledger.errors import NotFound
from ledger.store import SqlEventStore
from ledger.store.schema import events, merkle_nodes, merkle_tiles, merkle_upper_tiles
from ledger.store.tree import TILE_LEVELS, TILE_WIDTH, HASHES_BETWEEN, event_leaf

MAX_LEVEL: Final = 63
ENTRY_PREFIX: Final = (32).to_bytes(2, "big")  # every entry is an event's 32-byte hash
_ELEMENT = re.compile(r"x\d{3}")
_LAST = re.compile(r"\d{3}")
_DECIMAL = re.compile(r"0|[1-9]\d*")


@dataclass(frozen=True)
class TileAddress:
    """A tile's place: ``level`` None for an entry bundle; ``width`` 256 for a full tile."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        """The path under ``<prefix>/``: ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/...``."""
        kind = "entries" if self.level is None else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{kind}/{encode_index(self.index)}{suffix}"

    def leaves_needed(self) -> int:
        """The tree size from which this tile exists."""
        level = self.level or 0
        return (self.index * TILE_WIDTH + self.width) << (TILE_LEVELS * level)


def encode_index(index: int) -> str:
    """``1234067`` -> ``x001/x234/067``: zero-padded 3-digit elements, all but the last x-led."""
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> TileAddress:
    """The tile a path under ``tile/`` names; NotFound for anything the spec does not name.

    Only the canonical spelling is a tile: ``x000/001`` or ``1`` are not ``001``.
    """
    kind, _, rest = path.partition("/")
    width = TILE_WIDTH
    if ".p/" in rest:
        rest, _, width_text = rest.partition(".p/")
        if not _DECIMAL.fullmatch(width_text) or not 1 <= int(width_text) < TILE_WIDTH:
            raise NotFound(f"no tile {path}: a partial tile's width is 1 to 255")
        width = int(width_text)
    elements = rest.split("/")
    if not (
        all(_ELEMENT.fullmatch(e) for e in elements[:-1]) and _LAST.fullmatch(elements[-1])
    ):
        raise NotFound(f"no tile {path}: an index is 3-digit elements like x001/x234/067")
    index = int("".join(e.lstrip("x") for e in elements))
    level: int | None
    if kind == "entries":
        level = None
    elif _DECIMAL.fullmatch(kind) and int(kind) <= MAX_LEVEL:
        level = int(kind)
    else:
        raise NotFound(f"no tile {path}: a level is 0 to 63, or 'entries'")
    address = TileAddress(level, index, width)
    if address.path != f"tile/{path}":
        raise NotFound(f"no tile {path}: its canonical path is {address.path}")
    return address


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
