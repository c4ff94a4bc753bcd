"""The stored Merkle tree on both backends: kept in step by every append, equal to the oracle."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

import migrations

from ledger.tlog import merkle
from ledger.audit.log import CheckpointSealer, TransparencyLog
from ledger.audit.note import Checkpoint, SigningKey, open_checkpoint, sign_note
from ledger.bootstrap import Wiring, open_app
from ledger.settings import Settings
from ledger.store import NewEvent, SqlEventStore, StoreHooks, open_store, verify
from ledger.audit.schema import checkpoints
from ledger.store.schema import events, merkle_nodes, merkle_tiles
from ledger.store.tree import TreeReader, rebuild_tree
from ledger.tlog.layout import TILE_LEVELS
from tests.support.api_fixtures import signing_key_file
from tests.support.databases import fresh_database_url
from tests.support.merkle_oracle import mth


def append_many(store: SqlEventStore, sizes: list[int], stream: str = "s") -> None:
    for count in sizes:
        store.append(stream, [NewEvent("Noted", {"n": i}) for i in range(count)])


def sealed_log(
    store: SqlEventStore, key: SigningKey, commits: list[int] | None = None
) -> tuple[SqlEventStore, TransparencyLog]:
    """A store over ``store``'s database whose appends asking for receipts are sealed with
    ``key``, and the transparency log sharing its sealer (as ``bootstrap`` wires them);
    ``commits`` gets each group commit's batch size."""
    sealer = CheckpointSealer(key)
    listeners = [] if commits is None else [commits.append]
    hooks = StoreHooks(sealer=sealer, commit_listeners=listeners)
    sealed = SqlEventStore(store.engine, store.backend, hooks=hooks)
    return sealed, TransparencyLog(sealed, sealer)


def leaf_inputs(store: SqlEventStore) -> list[bytes]:
    return [bytes.fromhex(event.hash) for event in store.read_all()]


def stored_nodes(store: SqlEventStore) -> dict[tuple[int, int], bytes]:
    with store.read_connection() as connection:
        rows = connection.execute(select(merkle_nodes)).all()
    return {(row.level, row.idx): bytes(row.hash) for row in rows}


def stored_tiles(store: SqlEventStore) -> dict[int, bytes]:
    with store.read_connection() as connection:
        return {row.idx: bytes(row.hashes) for row in connection.execute(select(merkle_tiles))}


def oracle_tiles(inputs: list[bytes]) -> dict[int, bytes]:
    """Every complete tile: its 256 leaf hashes, concatenated."""
    return {
        tile: b"".join(merkle.leaf_hash(x) for x in inputs[tile * 256 : (tile + 1) * 256])
        for tile in range(len(inputs) // 256)
    }


def oracle_nodes(inputs: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete subtree at a stored level, by the RFC's definition."""
    nodes = {}
    level = TILE_LEVELS
    while (1 << level) <= len(inputs):
        width = 1 << level
        for index in range(len(inputs) // width):
            nodes[(level, index)] = mth(inputs[index * width : (index + 1) * width])
        level += 1
    return nodes


def test_every_append_keeps_the_stored_tree_equal_to_the_oracle(store: SqlEventStore) -> None:
    # single appends, a batch inside one tile, batches across one and across several tiles
    append_many(store, [1] * 30 + [200, 26, 300, 1, 700, 5, 255, 1])
    inputs = leaf_inputs(store)
    assert len(inputs) == 1518
    assert stored_nodes(store) == oracle_nodes(inputs)
    assert stored_tiles(store) == oracle_tiles(inputs)
    with store.read_connection() as connection:
        reader = TreeReader(connection)
        for size in (0, 1, 255, 256, 257, 511, 512, 1024, 1517, 1518):
            assert reader.root(size) == mth(inputs[:size]), size


def test_proofs_from_the_store_verify_against_the_oracle_roots(store: SqlEventStore) -> None:
    append_many(store, [600, 1, 433])
    inputs = leaf_inputs(store)
    log = TransparencyLog(store, CheckpointSealer(None))
    for size in (1, 2, 256, 300, 512, 777, 1034):
        root = mth(inputs[:size])
        for position in {1, size, (size + 1) // 2, min(size, 257)}:
            proof = log.inclusion(position, size)
            assert proof.leaf_hash == merkle.leaf_hash(inputs[position - 1])
            merkle.verify_inclusion(position - 1, size, proof.leaf_hash, proof.proof, root)
        for first in {1, size // 3 or 1, size}:
            consistency = log.consistency(first, size)
            merkle.verify_consistency(
                first, size, consistency.proof, mth(inputs[:first]), root
            )


def test_concurrent_writers_leave_a_tree_that_verifies(store: SqlEventStore) -> None:
    def writer(name: str) -> None:
        for i in range(40):
            store.append(f"w-{name}", [NewEvent("Noted", {"i": i}) for _ in range(1 + i % 9)])

    threads = [threading.Thread(target=writer, args=(str(n),)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    inputs = leaf_inputs(store)
    assert stored_nodes(store) == oracle_nodes(inputs)
    result = verify(store)
    assert result.ok, result.reason
    assert (result.tree_size, result.root) == (len(inputs), mth(inputs))


def test_a_rebuild_gives_the_live_tree_back(store: SqlEventStore) -> None:
    append_many(store, [900, 400])
    live, live_tiles = stored_nodes(store), stored_tiles(store)
    with store.write_transaction() as connection:
        size, root = rebuild_tree(connection)
    assert (size, root) == (1300, mth(leaf_inputs(store)))
    assert stored_nodes(store) == live
    assert stored_tiles(store) == live_tiles


def test_verify_finds_a_stored_node_that_disagrees_with_the_events(store: SqlEventStore) -> None:
    append_many(store, [520])
    with store.engine.begin() as connection:
        connection.execute(
            merkle_nodes.update()
            .where(merkle_nodes.c.level == TILE_LEVELS, merkle_nodes.c.idx == 1)
            .values(hash=b"\x00" * 32)
        )
    result = verify(store)
    assert not result.ok
    assert result.first_bad_position == 512
    assert result.reason == f"merkle node {TILE_LEVELS}/1 does not match the events"


def test_verify_finds_a_stored_tile_that_disagrees_with_the_events(store: SqlEventStore) -> None:
    append_many(store, [600])
    with store.engine.begin() as connection:
        connection.execute(
            merkle_tiles.update().where(merkle_tiles.c.idx == 1).values(hashes=b"\x01" * 8192)
        )
    result = verify(store)
    assert (result.ok, result.first_bad_position) == (False, 512)
    assert result.reason == "merkle tile 1 does not match the events"


def test_checkpoints_are_signed_once_per_size_and_kept(app: Wiring) -> None:
    key = SigningKey.generate("test.example/log")
    log = TransparencyLog(app.store, CheckpointSealer(key))
    append_many(app.store, [3])
    first = log.sign()
    assert log.sign() == first  # the same size: the kept one, not a second signature
    assert open_checkpoint(first.note, key.verifier).size == 3
    append_many(app.store, [2])
    assert log.sign_if_grown() is not None
    assert log.sign_if_grown() is None
    assert [c.size for c in log.history()] == [3, 5]
    assert log.at_size(3) == first
    result = app.queries.verify()
    assert (result.ok, result.checkpoints_checked) == (True, 2)


def test_verify_with_the_key_refuses_a_checkpoint_row_forged_in_the_database(
    settings: Settings, tmp_path: Path
) -> None:
    keyed = open_app(settings.model_copy(update={"signing_key_file": signing_key_file(tmp_path)}))
    try:
        append_many(keyed.store, [4])
        keyed.log.sign()
        assert keyed.verify().ok
        forger = SigningKey.generate("ledger.test/log")  # same name, another key
        root = keyed.log.root(2)
        note = sign_note(Checkpoint("ledger.test/log", 2, root).text, forger)
        with keyed.store.engine.begin() as connection:
            connection.execute(
                checkpoints.insert(),
                {"size": 2, "root": root, "note": note, "signed_at": datetime.now(UTC)},
            )
        assert keyed.queries.verify().ok  # the roots agree: only the signature can tell
        result = keyed.verify()
        assert not result.ok
        assert result.reason is not None and result.reason.startswith("the checkpoint of size 2:")
    finally:
        keyed.close()


def test_the_migration_fills_the_tree_for_a_log_that_existed_before_it(
    store: SqlEventStore, backend: str, tmp_path: Path
) -> None:
    append_many(store, [300, 1, 299])
    with store.read_connection() as connection:
        rows = [dict(row._mapping) for row in connection.execute(select(events))]
    older = tmp_path / "older"
    older.mkdir()
    url = fresh_database_url(backend, older) if backend == "sqlite" else None
    if url is None:  # one PostgreSQL database per test: take this one back to 0003 in place
        database_url = str(store.engine.url.render_as_string(hide_password=False))
        command.downgrade(migrations.alembic_config(database_url), "0004")  # later revisions
        with store.engine.begin() as connection:
            connection.execute(text("DROP TABLE merkle_nodes"))
            connection.execute(text("DROP TABLE merkle_tiles"))
            connection.execute(text("DROP TABLE signed_checkpoints"))
            connection.execute(text("UPDATE alembic_version SET version_num = '0003'"))
        migrations.upgrade(str(store.engine.url.render_as_string(hide_password=False)))
    else:
        migrations.upgrade(url, "0003")
        old_store = open_store(Settings(database_url=url))
        try:
            with old_store.engine.begin() as connection:
                connection.execute(events.insert(), rows)
        finally:
            old_store.close()
        migrations.upgrade(url)
        store = open_store(Settings(database_url=url))
    try:
        assert stored_nodes(store) == oracle_nodes(leaf_inputs(store))
        assert len(stored_nodes(store)) == 3  # level 8: tiles 0 and 1; level 9: their parent
        assert stored_tiles(store) == oracle_tiles(leaf_inputs(store))
        assert verify(store).ok
    finally:
        if url is not None:
            store.close()


def test_proofs_read_through_the_shared_cache_match_the_oracle_as_the_log_grows(
    store: SqlEventStore,
) -> None:
    """The cache of the right edge's leaves and subtrees, across tiles and completed tiles."""
    log = TransparencyLog(store, CheckpointSealer(None))
    grown = 0
    for count in [3, 1, 120, 131, 1, 1, 300, 200, 60]:
        append_many(store, [count])
        grown += count
        inputs = leaf_inputs(store)
        for size in {grown, grown - count + 1, max(1, grown - 300)}:
            root = mth(inputs[:size])
            assert log.root(size) == root
            for position in {1, size, max(1, size - 1), (size + 1) // 2}:
                proof = log.inclusion(position, size)
                assert proof.leaf_hash == merkle.leaf_hash(inputs[position - 1])
                merkle.verify_inclusion(position - 1, size, proof.leaf_hash, proof.proof, root)
            first = max(1, size - count)
            consistency = log.consistency(first, size)
            merkle.verify_consistency(first, size, consistency.proof, mth(inputs[:first]), root)


def test_a_sealed_write_commits_its_checkpoint_with_its_events(store: SqlEventStore) -> None:
    key = SigningKey.generate("test.example/log")
    commits: list[int] = []
    store, log = sealed_log(store, key, commits)
    store.append("s", [NewEvent("Noted", {"n": 0})])  # no receipt asked: nothing signed
    assert log.history() == []
    for n in range(1, 4):
        recorded = store.append("s", [NewEvent("Noted", {"n": n})], seal=True)
        assert [c.size for c in log.history()][-1] == recorded[0].position
        assert log.covering(recorded[0].position).size == recorded[0].position
    assert commits == [1, 1, 1, 1]  # one commit per write: the checkpoint rode in it
    assert [c.size for c in log.history()] == [2, 3, 4]
    inputs = leaf_inputs(store)
    for signed in log.history():
        assert open_checkpoint(signed.note, key.verifier).root == mth(inputs[: signed.size])


def test_concurrent_sealed_writers_share_a_checkpoint_per_commit(store: SqlEventStore) -> None:
    key = SigningKey.generate("test.example/log")
    commits: list[int] = []
    store, log = sealed_log(store, key, commits)
    covered: list[tuple[int, int]] = []

    def writer(name: str) -> None:
        for i in range(25):
            event = store.append(f"w-{name}", [NewEvent("Noted", {"i": i})], seal=True)[0]
            covered.append((event.position, log.covering(event.position).size))

    threads = [threading.Thread(target=writer, args=(str(n),)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = log.history(limit=1000)
    assert len(kept) == len(commits) <= 200  # one signature per group commit, not per write
    assert all(size >= position for position, size in covered)
    inputs = leaf_inputs(store)
    assert kept[-1].size == len(inputs) == 200
    for signed in kept:
        assert open_checkpoint(signed.note, key.verifier).root == mth(inputs[: signed.size])


def test_a_sealed_writes_receipt_reads_no_event_hashes_and_still_proves(
    store: SqlEventStore,
) -> None:
    """The seal read the right edge inside its commit; once durable it is the receipts' to use,
    so a receipt reads no events (the tree's leaves) and its proof checks against the oracle."""
    from sqlalchemy import event as sql_event

    key = SigningKey.generate("test.example/log")
    store, log = sealed_log(store, key)
    append_many(store, [300])  # past a full tile: the edge is the second tile's
    hash_reads: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        if "FROM events" in sql and "hash" in sql:
            hash_reads.append(sql)

    sql_event.listen(store.engine, "before_cursor_execute", count)
    try:
        for n in range(3):
            written = store.append("s", [NewEvent("Noted", {"n": n})], seal=True)[0]
            hash_reads.clear()
            receipt = log.receipt(written)
            assert hash_reads == []
            size = receipt["tree_size"]
            merkle.verify_inclusion(  # raises unless the proof leads to the oracle's root
                written.position - 1,
                size,
                merkle.leaf_hash(bytes.fromhex(written.hash)),
                [base64.b64decode(h) for h in receipt["proof"]],
                mth(leaf_inputs(store)[:size]),
            )
    finally:
        sql_event.remove(store.engine, "before_cursor_execute", count)


def test_a_seal_reads_only_the_events_since_the_last_and_signs_the_oracles_root(
    store: SqlEventStore,
) -> None:
    """Each seal hashes the events appended since the last durable one onto its right edge
    (batches of 1 to 300, across tile boundaries, and another process's appends between
    seals, which this process never saw): its one event-hash read starts at that seal's last
    leaf, and every checkpoint's root is the oracle's over the whole log."""
    from sqlalchemy import event as sql_event

    key = SigningKey.generate("test.example/log")
    sealed, log = sealed_log(store, key)
    other, _ = sealed_log(store, SigningKey.generate("other.example/log"))
    append_many(sealed, [10])
    sealed.append("s", [NewEvent("Noted", {"first": True})], seal=True)  # the first seal reads
    reads: list[object] = []

    def count(_conn: object, _cursor: object, sql: str, parameters: object, *_: object) -> None:
        if "FROM events" in sql and "hash" in sql:
            reads.append(parameters)

    sql_event.listen(store.engine, "before_cursor_execute", count)
    try:
        for batch, by_other in [(1, 0), (3, 0), (244, 0), (1, 0), (300, 5), (2, 250), (1, 1)]:
            append_many(other, [by_other], stream="o") if by_other else None
            before = _sealed_size(log)
            reads.clear()
            sealed.append("s", [NewEvent("Noted", {"n": i}) for i in range(batch)], seal=True)
            assert _sealed_size(log) == before + by_other + batch
            # the last seal's last leaf (still the database's?) and the events since
            assert [_after(p) for p in reads] == [before - 1]
    finally:
        sql_event.remove(store.engine, "before_cursor_execute", count)
    inputs = leaf_inputs(store)
    assert log.latest().size == len(inputs)
    for signed in log.history(limit=1000):
        assert open_checkpoint(signed.note, key.verifier).root == mth(inputs[: signed.size])


def _sealed_size(log: TransparencyLog) -> int:
    newest = log.sealer.newest
    assert newest is not None
    return newest.size


def _after(parameters: object) -> object:
    """The first position an event-hash read asks for (its ``after``), by either driver."""
    if isinstance(parameters, dict):
        return parameters.get("after")
    return list(parameters)[0]  # type: ignore[call-overload]
