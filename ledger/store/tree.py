"""The RFC 9162 Merkle tree over the log, kept in step inside every append's transaction.

Leaf i is the event at position i + 1; its leaf input is the 32 raw bytes of the event's
``hash``, which already commits to the canonical envelope and to the hash before it.

Storage is tiled, after C2SP tlog-tiles. When the last of a tile's 256 leaves is appended, its
leaf hashes are stored as one row of ``merkle_tiles`` and every complete subtree of 2^level
leaves with level >= ``TILE_LEVELS`` as one row of ``merkle_nodes``; the levels inside a tile
are recomputed from its row, and the tile at the right edge from the newest events' hashes. So
an append writes nothing at all for 255 appends in 256, and one tile row plus one node row per
completed level on the 256th (amortized O(1), at worst 255 + log n hashes); a proof reads at
most two tiles plus O(log n) stored nodes, never a walk of the log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, delete, or_, select

from ledger.store.backend import Backend, dbapi
from ledger.store.schema import (
    events,
    fixed_sql,
    insert_sql,
    merkle_nodes,
    merkle_tiles,
    merkle_upper_tiles,
)
from ledger.tlog.layout import TILE_LEVELS, TILE_WIDTH, event_leaf, split_hashes
from ledger.tlog.merkle import EMPTY_ROOT, Node, complete_nodes, node_hash, range_hash, root_of

HASHES_BETWEEN = (
    select(events.c.hash)
    .where(events.c.position > bindparam("after"), events.c.position <= bindparam("last"))
    .order_by(events.c.position)
)
HASHES_SQL = fixed_sql(HASHES_BETWEEN)
NODE_SQL = fixed_sql(
    select(merkle_nodes.c.hash).where(
        merkle_nodes.c.level == bindparam("level"), merkle_nodes.c.idx == bindparam("idx")
    )
)
INSERT_NODE_SQL = insert_sql(merkle_nodes)
INSERT_TILE_SQL = insert_sql(merkle_tiles)
INSERT_UPPER_TILE_SQL = insert_sql(merkle_upper_tiles)

StoredNode = tuple[int, int, bytes]


def climb(
    level: int, index: int, digest: bytes, left_of: Callable[[Node], bytes]
) -> list[StoredNode]:
    """A newly complete node and every ancestor it completes, with ``left_of`` giving siblings.

    A node with an odd index is a right child: with it, its parent is complete too.
    """
    completed = [(level, index, digest)]
    while index & 1:
        digest = node_hash(left_of((level, index - 1)), digest)
        level, index = level + 1, index >> 1
        completed.append((level, index, digest))
    return completed


class TreeWriter:
    """Extends the stored tree as events are appended (the append lock holder's job)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def extend(self, connection: Connection, old_size: int, new_hashes: Sequence[str]) -> None:
        """Store the nodes that the events ``new_hashes``, appended after ``old_size``, complete."""
        new_size = old_size + len(new_hashes)
        first_tile, end_tile = old_size // TILE_WIDTH, new_size // TILE_WIDTH
        if first_tile == end_tile:
            return  # the common case: no tile completed, nothing to store
        driver = dbapi(connection)
        stored_start = first_tile * TILE_WIDTH
        leaves = [
            event_leaf(row[0])
            for row in driver.execute(self.backend.sql(HASHES_SQL), (stored_start, old_size))
        ]
        leaves += [event_leaf(h) for h in new_hashes[: end_tile * TILE_WIDTH - old_size]]
        written: dict[Node, bytes] = {}

        def left_of(node: Node) -> bytes:
            if node in written:
                return written[node]
            row = driver.execute(self.backend.sql(NODE_SQL), node).fetchone()
            if row is None:
                raise RuntimeError(f"merkle node {node} is missing: run `ledger projections rebuild`")
            return bytes(row[0])

        tiles = []
        for offset, tile in enumerate(range(first_tile, end_tile)):
            tile_leaves = leaves[offset * TILE_WIDTH : (offset + 1) * TILE_WIDTH]
            tiles.append((tile, b"".join(tile_leaves)))
            for level, index, digest in climb(TILE_LEVELS, tile, root_of(tile_leaves), left_of):
                written[(level, index)] = digest
        upper = completed_upper_tiles(connection, written)
        cursor = driver.cursor()
        try:
            cursor.executemany(self.backend.sql(INSERT_TILE_SQL), tiles)
            cursor.executemany(
                self.backend.sql(INSERT_NODE_SQL),
                [(level, index, digest) for (level, index), digest in written.items()],
            )
            if upper:
                cursor.executemany(self.backend.sql(INSERT_UPPER_TILE_SQL), upper)
        finally:
            cursor.close()


def completed_upper_tiles(
    connection: Connection, written: dict[Node, bytes]
) -> list[tuple[int, int, bytes]]:
    """The full tiles above level 0 that the nodes ``written`` complete: (level, idx, hashes).

    Tile (L, N) is complete when node (8L, 256N + 255) is: once every 65,536 events at level 1,
    so the read of its 255 other hashes from ``merkle_nodes`` is rare.
    """
    tiles = []
    for (level, index), _ in sorted(written.items()):
        if level % TILE_LEVELS or index % TILE_WIDTH != TILE_WIDTH - 1:
            continue
        first = index - TILE_WIDTH + 1
        query = select(merkle_nodes.c.idx, merkle_nodes.c.hash).where(
            merkle_nodes.c.level == level, merkle_nodes.c.idx.between(first, index)
        )
        hashes = {idx: bytes(digest) for idx, digest in connection.execute(query)}
        hashes.update({i: d for (lv, i), d in written.items() if lv == level and i >= first})
        tiles.append((level // TILE_LEVELS, index // TILE_WIDTH, b"".join(
            hashes[i] for i in range(first, index + 1)
        )))
    return tiles


class TreeCache:
    """What this process has read of the tree and knows cannot change, shared by its readers.

    A checkpoint or proof at the right edge needs that tile's leaves: up to 255 events that no
    tile row holds yet. Reading and hashing all of them for every receipt cost more than the
    write itself; kept here, a reader reads only the events appended since. Stored nodes are
    kept too (about one per 256 events), and the complete subtrees inside the edge's tile.
    Only readers on a read connection may use it: what they read is committed, so it never
    changes (a write transaction's reads might still roll back). The sealer offers the edge it
    read only once its commit is durable, so a receipt needs no read of the new leaves. Signing
    never reads through it: a checkpoint signs what the database holds, so a proof from the
    cache that disagrees with a rewritten database fails to verify.
    """

    def __init__(self) -> None:
        self._edge: tuple[int, tuple[bytes, ...]] = (-1, ())
        self._nodes: dict[Node, bytes] = {}
        self._inner: dict[Node, bytes] = {}  # complete subtrees inside the edge's tile
        self._lock = threading.Lock()

    def leaves(self, tile: int) -> tuple[bytes, ...]:
        """The known leaves of ``tile`` from its first on, or none."""
        known_tile, leaves = self._edge
        return leaves if known_tile == tile else ()

    def offer_leaves(self, tile: int, leaves: tuple[bytes, ...]) -> None:
        with self._lock:
            known_tile, known = self._edge
            if tile > known_tile or (tile == known_tile and len(leaves) > len(known)):
                self._edge = (tile, leaves)
            if tile > known_tile:
                self._inner = {}

    def inner(self, node: Node) -> bytes | None:
        return self._inner.get(node)

    def offer_inner(self, node: Node, digest: bytes) -> None:
        """A complete subtree below tile level, kept while its tile is the edge's."""
        level, index = node
        if (index << level) // TILE_WIDTH == self._edge[0]:
            self._inner[node] = digest

    def node(self, node: Node) -> bytes | None:
        return self._nodes.get(node)

    def offer_nodes(self, nodes: dict[Node, bytes]) -> None:
        with self._lock:
            self._nodes.update(nodes)


class TreeReader:
    """Hashes of any subtree of the tree of a given size, from stored nodes and tiles of leaves.

    ``cache`` keeps what readers on read connections read, between them.
    """

    def __init__(self, connection: Connection, cache: TreeCache | None = None) -> None:
        self.connection = connection
        self.cache = cache
        self._tiles: dict[int, list[bytes]] = {}
        self._stored: dict[Node, bytes] = {}
        self._full_below = 0  # tiles ending at or below this many leaves are full and stored

    def hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """MTH(D[start:end]) for each range, reading what they need in as few queries as can be."""
        self._full_below = max([self._full_below, *(end for _, end in ranges)])
        needed = {node for start, end in ranges for node in complete_nodes(start, end)}
        self._load_stored([n for n in needed if n[0] >= TILE_LEVELS and n not in self._stored])
        return [range_hash(start, end, self.node) for start, end in ranges]

    def root(self, size: int) -> bytes:
        return self.hashes([(0, size)])[0]

    def leaf(self, index: int) -> bytes:
        return self.node((0, index))

    def node(self, node: Node) -> bytes:
        level, index = node
        if level >= TILE_LEVELS:
            if node not in self._stored:
                self._load_stored([node])
            return self._stored[node]
        if self.cache is not None and (digest := self.cache.inner(node)) is not None:
            return digest
        start = index << level
        if level == 0:
            tile = start // TILE_WIDTH
            return self._tile(tile, start + 1)[start - tile * TILE_WIDTH]
        digest = node_hash(self.node((level - 1, 2 * index)), self.node((level - 1, 2 * index + 1)))
        if self.cache is not None and level > 1:
            self.cache.offer_inner(node, digest)
        return digest

    def edge_leaves(self, size: int) -> tuple[int, tuple[bytes, ...]] | None:
        """The leaves this reader read of the tile holding leaf ``size - 1``, if it read them:
        the right edge of the tree of ``size``, for a ``TreeCache`` once they are committed."""
        tile = (size - 1) // TILE_WIDTH
        leaves = self._tiles.get(tile)
        return None if leaves is None else (tile, tuple(leaves[: size - tile * TILE_WIDTH]))

    def _tile(self, tile: int, needed_end: int) -> list[bytes]:
        """The leaves of one tile, at least up to leaf ``needed_end`` (the right edge may be short).

        A complete tile is one stored row; the tile at the right edge is read from the newest
        events' hashes, at most 255 of them.
        """
        start = tile * TILE_WIDTH
        leaves = self._tiles.get(tile)
        if leaves is None and self.cache is not None:
            cached = self.cache.leaves(tile)
            if start + len(cached) >= needed_end:
                leaves = self._tiles[tile] = list(cached)
            elif cached:  # the edge's tile as last read: only the events appended since
                leaves = self._tiles[tile] = self._edge_tile(tile)
        if leaves is None:
            query = select(merkle_tiles.c.hashes).where(merkle_tiles.c.idx == tile)
            stored = self.connection.execute(query).scalar()
            if stored is not None:
                leaves = split_hashes(bytes(stored))
                self._tiles[tile] = leaves
        if leaves is None or start + len(leaves) < needed_end:
            leaves = self._tiles[tile] = self._edge_tile(tile)
        if start + len(leaves) < needed_end:
            raise LookupError(f"the log has no leaf {needed_end - 1}")
        return leaves

    def _edge_tile(self, tile: int) -> list[bytes]:
        """A tile with no row yet: its cached leaves and the events' hashes after them."""
        start = tile * TILE_WIDTH
        known = self.cache.leaves(tile) if self.cache is not None else ()
        hashes = self.connection.execute(
            HASHES_BETWEEN, {"after": start + len(known), "last": start + TILE_WIDTH}
        ).scalars()
        leaves = (*known, *(event_leaf(h) for h in hashes.all()))
        if self.cache is not None:
            self.cache.offer_leaves(tile, leaves)
        return list(leaves)

    def _load_stored(self, nodes: Sequence[Node]) -> None:
        if self.cache is not None:
            for node in nodes:
                if (digest := self.cache.node(node)) is not None:
                    self._stored[node] = digest
            nodes = [node for node in nodes if node not in self._stored]
        self._load_upper_tiles({tile for n in nodes if (tile := self._full_tile_of(n))})
        nodes = [node for node in nodes if node not in self._stored]
        if not nodes:
            return
        query = select(merkle_nodes.c.level, merkle_nodes.c.idx, merkle_nodes.c.hash).where(
            or_(*(and_(merkle_nodes.c.level == lv, merkle_nodes.c.idx == ix) for lv, ix in nodes))
        )
        rows = self.connection.execute(query)
        read = {(level, index): bytes(digest) for level, index, digest in rows}
        self._stored.update(read)
        if self.cache is not None:
            self.cache.offer_nodes(read)
        missing = [n for n in nodes if n not in self._stored]
        if missing:
            raise LookupError(f"merkle nodes {missing} are not stored: run `ledger projections rebuild`")


    def _full_tile_of(self, node: Node) -> tuple[int, int] | None:
        """The full upper tile (level, index) a stored-level node lies in, if the tree read has it.

        Node (8L + j, i) is made of the level-8L nodes from i * 2^j on, in tile
        (L, i * 2^j // 256); the tile is full once the tree holds (index + 1) * 256^(L + 1) leaves.
        """
        level, index = node
        tile_level, below = divmod(level, TILE_LEVELS)
        tile = (index << below) >> TILE_LEVELS
        end = (tile + 1) << (TILE_LEVELS * (tile_level + 1))
        return (tile_level, tile) if end <= self._full_below else None

    def _load_upper_tiles(self, tiles: set[tuple[int, int]]) -> None:
        """Read full upper tiles in one query; keep every subtree inside them as a stored node."""
        if not tiles:
            return
        query = select(merkle_upper_tiles).where(
            or_(*(and_(merkle_upper_tiles.c.level == lv, merkle_upper_tiles.c.idx == ix)
                  for lv, ix in tiles))
        )
        expanded: dict[Node, bytes] = {}
        for row in self.connection.execute(query):
            expanded.update(tile_nodes(row.level, row.idx, split_hashes(bytes(row.hashes))))
        self._stored.update(expanded)
        if self.cache is not None:
            self.cache.offer_nodes(expanded)


def tile_nodes(tile_level: int, index: int, hashes: list[bytes]) -> dict[Node, bytes]:
    """Every subtree a full upper tile holds: its 256 hashes (level 8L) and the 255 above them."""
    level, first = tile_level * TILE_LEVELS, index * TILE_WIDTH
    nodes: dict[Node, bytes] = {}
    row = hashes
    while row:
        nodes.update({(level, first + i): digest for i, digest in enumerate(row)})
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level, first = level + 1, first >> 1
    return nodes


class CompactRange:
    """The tree's right edge as leaves stream past: the root of every prefix in O(log n) memory.

    Also yields each stored-level node as it completes, so a rebuild or an audit can compare or
    write them without holding the tree.
    """

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[tuple[int, bytes]] = []  # (level, hash), levels strictly falling

    @classmethod
    def over(cls, size: int, peaks: Sequence[tuple[int, bytes]]) -> CompactRange:
        """The range of a tree of ``size`` leaves whose complete subtrees hash to ``peaks``."""
        tree = cls()
        tree.size, tree._edge = size, list(peaks)
        return tree

    def peaks(self) -> list[tuple[int, bytes]]:
        """(level, hash) of the tree's complete subtrees, largest first."""
        return list(self._edge)

    def push(self, leaf: bytes) -> list[StoredNode]:
        """Add one leaf; return the stored-level nodes (level >= TILE_LEVELS) it completes."""
        level, digest, index = 0, leaf, self.size
        completed: list[StoredNode] = []
        while self._edge and self._edge[-1][0] == level:
            _, left = self._edge.pop()
            digest, level, index = node_hash(left, digest), level + 1, index >> 1
            if level >= TILE_LEVELS:
                completed.append((level, index, digest))
        self._edge.append((level, digest))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self._edge:
            return EMPTY_ROOT
        digest = self._edge[-1][1]
        for _, left in reversed(self._edge[:-1]):
            digest = node_hash(left, digest)
        return digest


@dataclass(frozen=True)
class SealedEdge:
    """The right edge of the tree a committed checkpoint signed: its peaks, and the leaves of
    the tile holding its last leaf.

    The next seal reads only the events appended since (a batch's, not the edge tile's 255)
    and hashes them onto the peaks. What it signs is still what the database holds: the peaks
    were read from it by an earlier seal whose commit is durable, the log only grows, and the
    seal first checks that the database still holds this edge's last leaf. A rewrite of any
    event before it recomputes every later hash (or the chain breaks, which ``ledger verify``
    reports), so a changed last leaf sends the seal back to reading the whole edge from the
    database, and it signs the rewritten tree, as a monitor comparing checkpoints must see.
    """

    size: int
    peaks: tuple[tuple[int, bytes], ...]  # (level, hash) of the complete subtrees, levels falling
    tile_leaves: tuple[bytes, ...]  # the leaves from the last leaf's tile's first up to ``size``

    @classmethod
    def read(cls, connection: Connection, size: int) -> SealedEdge:
        """The edge of the tree of ``size`` as the database holds it (a first seal's read)."""
        reader = TreeReader(connection)
        peaks = complete_nodes(0, size)
        hashes = reader.hashes([(index << level, (index + 1) << level) for level, index in peaks])
        tile_leaves: tuple[bytes, ...] = ()
        if size:
            reader.leaf(size - 1)  # the last leaf's tile, read if the peaks did not need it
            edge = reader.edge_leaves(size)
            assert edge is not None
            tile_leaves = edge[1]
        return cls(size, tuple((level, h) for (level, _), h in zip(peaks, hashes)), tile_leaves)

    def grown(self, connection: Connection, size: int) -> SealedEdge | None:
        """The edge of the tree of ``size``: this one with the events after it read and hashed;
        None if the database no longer holds this edge's last leaf (its history was rewritten)."""
        first = self.size - 1 if self.size else 0  # this edge's last leaf, checked, then the new
        hashes = connection.execute(HASHES_BETWEEN, {"after": first, "last": size}).scalars()
        leaves = [event_leaf(h) for h in hashes.all()]
        if self.size:
            if not leaves or leaves[0] != self.tile_leaves[-1]:
                return None
            leaves = leaves[1:]
        if self.size + len(leaves) != size:
            raise LookupError(f"the log has {self.size + len(leaves)} events, not {size}")
        tree = CompactRange.over(self.size, self.peaks)
        for leaf in leaves:
            tree.push(leaf)
        start = self.size - len(self.tile_leaves)  # the first leaf of this edge's tile
        tile_start = (size - 1) // TILE_WIDTH * TILE_WIDTH
        tile_leaves = (*self.tile_leaves, *leaves)[tile_start - start :]
        return SealedEdge(size, tuple(tree.peaks()), tile_leaves)

    def root(self) -> bytes:
        return CompactRange.over(self.size, self.peaks).root()

    def offer(self, cache: TreeCache) -> None:
        """Give ``cache`` the edge tile's leaves (once this edge's commit is durable)."""
        if self.tile_leaves:
            cache.offer_leaves((self.size - 1) // TILE_WIDTH, self.tile_leaves)


def event_hashes(connection: Connection, page_size: int = 5000) -> Iterator[str]:
    """Every event's hash in position order, a page at a time."""
    after = 0
    while True:
        query = (
            select(events.c.position, events.c.hash)
            .where(events.c.position > after)
            .order_by(events.c.position)
            .limit(page_size)
        )
        page = connection.execute(query).all()
        for _, event_hash in page:
            yield event_hash
        if len(page) < page_size:
            return
        after = page[-1][0]


def rebuild_tree(
    connection: Connection, batch: int = 2000, *, upper_tiles: bool = True
) -> tuple[int, bytes]:
    """Recompute every stored tile and node from the events; return the tree's size and root.

    ``upper_tiles`` False is for migration 0004, which runs before their table exists.
    """
    connection.execute(delete(merkle_nodes))
    connection.execute(delete(merkle_tiles))
    nodes: list[dict[str, object]] = []
    tiles: list[dict[str, object]] = []
    edge = CompactRange()
    leaves: list[bytes] = []
    for event_hash in event_hashes(connection):
        leaf = event_leaf(event_hash)
        leaves.append(leaf)
        nodes += [{"level": lv, "idx": ix, "hash": h} for lv, ix, h in edge.push(leaf)]
        if len(leaves) == TILE_WIDTH:
            tiles.append({"idx": edge.size // TILE_WIDTH - 1, "hashes": b"".join(leaves)})
            leaves = []
        if len(nodes) + len(tiles) >= batch:
            _insert(connection, tiles, nodes)
            nodes, tiles = [], []
    _insert(connection, tiles, nodes)
    if upper_tiles:
        fill_upper_tiles(connection)
    return edge.size, edge.root()


def fill_upper_tiles(connection: Connection) -> int:
    """(Re)write every full tile above level 0 from the stored nodes; return how many."""
    connection.execute(delete(merkle_upper_tiles))
    written, level = 0, TILE_LEVELS
    while True:
        rows = connection.execute(
            select(merkle_nodes.c.idx, merkle_nodes.c.hash)
            .where(merkle_nodes.c.level == level)
            .order_by(merkle_nodes.c.idx)
        ).all()
        full = len(rows) // TILE_WIDTH
        if full == 0:
            return written
        tiles = [
            {
                "level": level // TILE_LEVELS,
                "idx": n,
                "hashes": b"".join(bytes(h) for _, h in rows[n * TILE_WIDTH : (n + 1) * TILE_WIDTH]),
            }
            for n in range(full)
        ]
        connection.execute(merkle_upper_tiles.insert(), tiles)
        written += full
        level += TILE_LEVELS


def _insert(
    connection: Connection, tiles: list[dict[str, object]], nodes: list[dict[str, object]]
) -> None:
    if tiles:
        connection.execute(merkle_tiles.insert(), tiles)
    if nodes:
        connection.execute(merkle_nodes.insert(), nodes)
