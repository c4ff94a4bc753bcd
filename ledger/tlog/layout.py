"""How the ledger lays its log out as a tree, after C2SP tlog-tiles (c2sp.org/tlog-tiles).

Leaf i is the event at position i + 1; its leaf input is the 32 raw bytes of the event's
``hash``. Tile ``(L, N)`` holds the hashes of the level-8L subtrees 256N .. 256N+255 (level 0:
the leaf hashes); a partial tile of width W < 256 holds the first W of them, once the tree has
them. An entry bundle holds each event's leaf input behind a big-endian uint16 length. Only
arithmetic and paths live here: reading and writing tiles is the store's and the audit's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ledger.errors import NotFound
from ledger.tlog.merkle import HASH_SIZE, leaf_hash

TILE_LEVELS: Final = 8
TILE_WIDTH: Final = 1 << TILE_LEVELS
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



def event_leaf(event_hash: str) -> bytes:
    """The leaf hash of an event: SHA-256(0x00 || the 32 bytes of its hex ``hash``)."""
    return leaf_hash(bytes.fromhex(event_hash))


def split_hashes(blob: bytes) -> list[bytes]:
    """A stored tile's hashes: 32 bytes each, concatenated."""
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]
