"""The tree as C2SP tlog-tiles under /v1/audit/tlog/, read by the spec's layout and by Go.

The layout test is the spec's own example: a tree of 70,000 leaves has 273 full level-0 tiles,
one partial level-0 tile of width 112, one full level-1 tile, one partial level-1 tile of width
17 and one partial level-2 tile of width 1. Tile contents are checked against the RFC oracle
(``tests/support/merkle_oracle``); the whole tree, its checkpoint and entries against Go's
golang.org/x/mod/sumdb/tlog and note, an implementation that shares nothing with the ledger.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import and_, delete, or_, select, update

import migrations
from api.app import create_app
from ledger.tlog import merkle
from ledger.audit.log import CheckpointSealer, TransparencyLog
from ledger.tlog.layout import TileAddress, encode_index, parse_tile_path
from ledger.errors import NotFound
from ledger.settings import Settings
from ledger.store import NewEvent, open_store, verify
from ledger.store.schema import merkle_nodes, merkle_upper_tiles
from ledger.store.tree import rebuild_tree
from tests.support.api_fixtures import api_settings, signing_key_file
from tests.support.databases import fresh_database_url
from tests.support.go_tlog import go_verify
from tests.support.live import served
from tests.support.merkle_oracle import mth, oracle_leaf

SIZE = 70_000
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("index", "path"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_an_index_is_written_in_three_digit_elements(index: int, path: str) -> None:
    assert encode_index(index) == path
    assert parse_tile_path(f"0/{path}") == TileAddress(0, index)
    assert parse_tile_path(f"entries/{path}.p/7") == TileAddress(None, index, 7)


@pytest.mark.parametrize(
    "path",
    ["0/1", "0/x000/001", "0/001.p/0", "0/001.p/256", "0/001.p/08", "64/000", "01/000",
     "data/000", "0/x001", "0/001/", "0/x1000/000"],
)
def test_a_path_the_spec_does_not_name_is_not_a_tile(path: str) -> None:
    with pytest.raises(NotFound):
        parse_tile_path(path)


def signed_ledger(
    url: str, directory: Path, batches: list[tuple[str, int]]
) -> tuple[Settings, list[bytes]]:
    """A migrated ledger that signs every checkpoint, grown by ``batches`` of (stream, count)
    events; its settings and the events' hashes (the leaf inputs)."""
    migrations.upgrade(url)
    settings = Settings(
        database_url=url, signing_key_file=signing_key_file(directory),
        checkpoint_interval_seconds=0,
    )
    store = open_store(settings)
    try:
        for stream, count in batches:
            store.append(stream, [NewEvent("Noted", {"n": i}) for i in range(count)])
        return settings, [bytes.fromhex(event.hash) for event in store.read_all()]
    finally:
        store.close()


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, list[bytes]]]:
    """A signed SQLite ledger of 70,000 events, and the events' hashes (the leaf inputs)."""
    directory = tmp_path_factory.mktemp("tiles")
    batches = [(f"s{batch % 7}", 1000) for batch in range(SIZE // 1000)]
    yield signed_ledger(f"sqlite:///{directory / 'ledger.db'}", directory, batches)


@pytest.fixture(scope="module")
def tiles(grown: tuple[Settings, list[bytes]]) -> Iterator[TestClient]:
    with TestClient(create_app(grown[0], api_settings())) as client:
        yield client


def subtree_hashes(inputs: list[bytes], level: int, first: int, count: int) -> bytes:
    width = 256**level
    return b"".join(
        mth(inputs[(first + i) * width : (first + i + 1) * width]) if level else
        oracle_leaf(inputs[first + i])
        for i in range(count)
    )


@pytest.mark.parametrize(
    ("path", "level", "first", "count"),
    [
        ("tile/0/000", 0, 0, 256),
        ("tile/0/272", 0, 272 * 256, 256),
        ("tile/0/273.p/112", 0, 273 * 256, 112),
        ("tile/0/273.p/3", 0, 273 * 256, 3),
        ("tile/1/000", 1, 0, 256),
        ("tile/1/001.p/17", 1, 256, 17),
        ("tile/2/000.p/1", 2, 0, 1),
    ],
)
def test_the_spec_s_70000_leaf_layout_is_served_as_the_rfc_defines_it(
    tiles: TestClient, grown: tuple[Settings, list[bytes]], path: str, level: int, first: int,
    count: int,
) -> None:
    answer = tiles.get(f"/v1/audit/tlog/{path}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["cache-control"] == IMMUTABLE
    assert answer.content == subtree_hashes(grown[1], level, first, count)


@pytest.mark.parametrize(
    "path",
    ["tile/0/273", "tile/0/273.p/113", "tile/0/274.p/1", "tile/1/001", "tile/1/001.p/18",
     "tile/2/000", "tile/3/000.p/1", "tile/entries/273", "tile/entries/273.p/113",
     "tile/0/0", "tile/0/x000/000"],
)
def test_a_tile_the_tree_does_not_have_is_404(tiles: TestClient, path: str) -> None:
    answer = tiles.get(f"/v1/audit/tlog/{path}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_entry_bundle_holds_each_event_hash_behind_a_two_byte_length(
    tiles: TestClient, grown: tuple[Settings, list[bytes]]
) -> None:
    inputs = grown[1]
    full = tiles.get("/v1/audit/tlog/tile/entries/001")
    assert full.headers["cache-control"] == IMMUTABLE
    assert full.content == b"".join(b"\x00\x20" + h for h in inputs[256:512])
    edge = tiles.get("/v1/audit/tlog/tile/entries/273.p/112").content
    assert edge == b"".join(b"\x00\x20" + h for h in inputs[273 * 256 :])
    assert hashlib.sha256(b"\x00" + edge[2:34]).digest() == tiles.get(
        "/v1/audit/tlog/tile/0/273.p/1"
    ).content


def test_the_tlog_checkpoint_is_the_latest_and_never_cached(tiles: TestClient) -> None:
    answer = tiles.get("/v1/audit/tlog/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.text == tiles.get("/v1/audit/checkpoint").text
    assert answer.text.split("\n")[1] == str(SIZE)


def test_go_s_tlog_turns_the_served_tiles_into_the_checkpoint_s_root(
    grown: tuple[Settings, list[bytes]]
) -> None:
    settings, inputs = grown
    app = create_app(settings, api_settings())
    with served(app) as url:
        key = httpx.get(f"{url}/v1/audit/verifier-key").text.strip()
        done = go_verify(
            f"{url}/v1/audit/tlog", key, "-entries", f"0,255,256,65535,65536,{SIZE - 1}"
        )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"checkpoint ok: ledger.test/log size {SIZE}"
    root = mth(inputs)
    assert lines[1] == f"tiles ok: root {base64.b64encode(root).decode()}"
    assert lines[-1] == f"entry ok: {SIZE - 1} {inputs[-1].hex()}"


def test_tiles_on_each_backend_match_the_oracle_and_go(tmp_path: Path, backend: str) -> None:
    """1,000 events: four full level-0 tiles, a partial one, a partial level-1 tile."""
    batches = [("s", count) for count in (1, 255, 300, 444)]
    settings, inputs = signed_ledger(fresh_database_url(backend, tmp_path), tmp_path, batches)
    app = create_app(settings, api_settings())
    with TestClient(app) as client:
        assert client.get("/v1/audit/tlog/tile/0/002").content == subtree_hashes(inputs, 0, 512, 256)
        assert client.get("/v1/audit/tlog/tile/0/003.p/232").content == subtree_hashes(
            inputs, 0, 768, 232
        )
        assert client.get("/v1/audit/tlog/tile/1/000.p/3").content == subtree_hashes(inputs, 1, 0, 3)
    with served(app) as base:
        key = httpx.get(f"{base}/v1/audit/verifier-key").text.strip()
        done = go_verify(f"{base}/v1/audit/tlog", key, "-entries", "0,999")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tiles ok" in done.stdout


def test_upper_tiles_are_what_a_rebuild_writes_and_verify_checks_them(
    grown: tuple[Settings, list[bytes]],
) -> None:
    store = open_store(grown[0])
    try:
        with store.read_connection() as connection:
            appended = connection.execute(select(merkle_upper_tiles)).all()
        assert [(row.level, row.idx) for row in appended] == [(1, 0)]
        with store.write_transaction() as connection:
            rebuild_tree(connection)
        with store.read_connection() as connection:
            assert connection.execute(select(merkle_upper_tiles)).all() == appended
        assert verify(store).ok
        with store.write_transaction() as connection:
            connection.execute(update(merkle_upper_tiles).values(hashes=b"\x00" * 8192))
        assert verify(store).reason == "merkle tile 1/0 does not match the events"
        with store.write_transaction() as connection:
            rebuild_tree(connection)
        assert verify(store).ok
    finally:
        store.close()


def test_proofs_read_the_full_upper_tiles(grown: tuple[Settings, list[bytes]]) -> None:
    """With the nodes inside the full level-1 tile gone from merkle_nodes (levels 8 to 15 over
    the first 65,536 leaves), every proof still verifies: those are read from the tile, the
    right edge's from merkle_nodes (then the rebuild puts the nodes back)."""
    settings, inputs = grown
    store = open_store(settings)
    try:
        with store.write_transaction() as connection:
            inside = [
                and_(merkle_nodes.c.level == level, merkle_nodes.c.idx < (65_536 >> level))
                for level in range(8, 16)
            ]
            assert connection.execute(delete(merkle_nodes).where(or_(*inside))).rowcount == 510
        log = TransparencyLog(store, CheckpointSealer(None))
        root = mth(inputs)
        for position in (1, 300, 40_000, 65_536, 65_537, 69_000, SIZE):
            proof = log.inclusion(position, SIZE)
            merkle.verify_inclusion(position - 1, SIZE, proof.leaf_hash, proof.proof, root)
        for first in (65_536, 66_000, 69_999):
            shown = log.consistency(first, SIZE)
            merkle.verify_consistency(first, SIZE, shown.proof, mth(inputs[:first]), root)
    finally:
        with store.write_transaction() as connection:
            rebuild_tree(connection)
        assert verify(store).ok
        store.close()
