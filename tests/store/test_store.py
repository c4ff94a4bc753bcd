"""The event store's contract, run once per backend."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, text

from ledger.errors import (
    ConcurrencyError,
    EventIdConflict,
    ImmutableEventError,
    InvalidEvent,
    StorageUnavailable,
)
from ledger.settings import Settings
from ledger.store import ANY, NO_STREAM, NewEvent, SqlEventStore, open_store, verify
from ledger.store.records import GENESIS_HASH, expected_hash
from tests.support.tampering import overwrite_event_data


def statement(n: int = 0, **data: object) -> NewEvent:
    return NewEvent(
        type="StatementRecorded", data={"n": n, "quote": "Regelmäßige Gespräche", **data}
    )


def only_on(backend: str, store: SqlEventStore, why: str) -> SqlEventStore:
    """``store`` when it runs on ``backend``; else the test is skipped, saying ``why``."""
    if store.backend.name != backend:
        pytest.skip(why)
    return store


def test_appends_number_versions_per_stream_and_positions_globally(store: SqlEventStore) -> None:
    first = store.append("claim:a", [statement(1), statement(2)], expected_version=NO_STREAM)
    second = store.append("claim:b", [statement(3)])
    third = store.append("claim:a", [statement(4)], expected_version=2)

    assert [(e.stream, e.version, e.position) for e in first + second + third] == [
        ("claim:a", 1, 1),
        ("claim:a", 2, 2),
        ("claim:b", 1, 3),
        ("claim:a", 3, 4),
    ]
    assert store.stream_version("claim:a") == 3
    assert store.stream_version("claim:missing") is None


def test_every_event_is_hash_chained_to_the_one_before(store: SqlEventStore) -> None:
    recorded = store.append("claim:a", [statement(i) for i in range(3)])
    stored = list(store.read_all())

    assert stored == recorded
    assert stored[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    assert all(expected_hash(e) == e.hash for e in stored)


@pytest.mark.parametrize("expected", [NO_STREAM, 0, 2, 5])
def test_a_wrong_expected_version_raises_and_writes_nothing(
    store: SqlEventStore, expected: object
) -> None:
    store.append("claim:a", [statement(1)])

    with pytest.raises(ConcurrencyError) as raised:
        store.append("claim:a", [statement(2), statement(3)], expected_version=expected)  # type: ignore[arg-type]

    assert raised.value.actual == 1
    assert store.head_position() == 1


def test_an_exact_expected_version_on_a_missing_stream_raises(store: SqlEventStore) -> None:
    with pytest.raises(ConcurrencyError, match="no stream"):
        store.append("claim:new", [statement()], expected_version=1)
    assert store.head_position() == 0


def test_retrying_an_append_returns_the_stored_events_and_writes_nothing(
    store: SqlEventStore,
) -> None:
    events = [statement(1), statement(2)]
    first = store.append("claim:a", events, expected_version=NO_STREAM)

    retry = store.append("claim:a", events, expected_version=NO_STREAM)

    assert retry == first
    assert store.head_position() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"stream": "claim:b"},
        {"data": {"n": 99}},
        {"metadata": {"actor": "someone else"}},
        {"type": "StatementRetracted"},
    ],
)
def test_the_same_event_id_with_other_content_is_a_conflict(
    store: SqlEventStore, change: dict[str, object]
) -> None:
    original = statement(1)
    store.append("claim:a", [original])
    retried = NewEvent(
        type=str(change.get("type", original.type)),
        data=change.get("data", original.data),  # type: ignore[arg-type]
        metadata=change.get("metadata", original.metadata),  # type: ignore[arg-type]
        event_id=original.event_id,
    )

    with pytest.raises(EventIdConflict):
        store.append(str(change.get("stream", "claim:a")), [retried])
    assert store.head_position() == 1


def test_a_batch_that_mixes_a_stored_id_with_new_ones_is_refused(store: SqlEventStore) -> None:
    stored = statement(1)
    store.append("claim:a", [stored])

    with pytest.raises(EventIdConflict):
        store.append("claim:a", [stored, statement(2)])
    assert store.head_position() == 1


@pytest.mark.parametrize("stream", ["", "x" * 201, "claim:\x00a", "claim:\na"])
def test_bad_stream_names_are_refused(store: SqlEventStore, stream: str) -> None:
    with pytest.raises(InvalidEvent, match="stream"):
        store.append(stream, [statement()])


def test_an_empty_append_is_refused(store: SqlEventStore) -> None:
    with pytest.raises(InvalidEvent):
        store.append("claim:a", [])


def test_a_stream_reads_from_a_version(store: SqlEventStore) -> None:
    store.append("claim:a", [statement(i) for i in range(5)])
    store.append("claim:b", [statement(9)])

    assert [e.version for e in store.read_stream("claim:a", from_version=3)] == [3, 4, 5]
    assert [e.version for e in store.read_stream("claim:a", from_version=2, limit=2)] == [2, 3]


def test_the_log_pages_by_position(store: SqlEventStore) -> None:
    for i in range(7):
        store.append(f"claim:{i % 3}", [statement(i)])

    assert [e.position for e in store.read_all(after=2, limit=3)] == [3, 4, 5]
    assert [e.position for e in store.read_all(after=5, page_size=1)] == [6, 7]
    assert [e.position for e in store.read_page(after=7)] == []


def test_the_log_reads_by_recorded_time(settings: Settings) -> None:
    start = datetime(2024, 10, 24, tzinfo=UTC)
    ticks = iter(start + timedelta(hours=12 * i) for i in range(10))
    store = open_store(settings, clock=lambda: next(ticks))
    try:
        for i in range(5):
            store.append("claim:a", [statement(i)])
        window = store.read_recorded_between(start + timedelta(hours=12), start + timedelta(days=2))
        assert [e.position for e in window] == [2, 3, 4]
    finally:
        store.close()


def test_recorded_time_never_runs_backwards(settings: Settings) -> None:
    times = iter([datetime(2024, 10, 26, tzinfo=UTC), datetime(2024, 10, 25, tzinfo=UTC)])
    store = open_store(settings, clock=lambda: next(times))
    try:
        first, second = store.append("claim:a", [statement(1)]) + store.append("c:b", [statement()])
        assert second.recorded_at == first.recorded_at
    finally:
        store.close()


@pytest.mark.parametrize(
    "sql", ["UPDATE events SET type = 'Tampered'", "DELETE FROM events WHERE position = 1"]
)
def test_the_database_refuses_to_change_or_remove_events(store: SqlEventStore, sql: str) -> None:
    store.append("claim:a", [statement(1)])

    with pytest.raises(ImmutableEventError, match="events are immutable"):
        with store.translated_errors(), store.engine.begin() as connection:
            connection.execute(text(sql))
    assert [e.type for e in store.read_all()] == ["StatementRecorded"]


def test_postgres_refuses_truncate_too(store: SqlEventStore) -> None:
    only_on("postgresql", store, "SQLite has no TRUNCATE").append("claim:a", [statement(1)])
    with pytest.raises(ImmutableEventError):
        with store.translated_errors(), store.engine.begin() as connection:
            connection.execute(text("TRUNCATE events"))
    assert store.head_position() == 1


def test_verify_walks_an_intact_chain_in_pages(store: SqlEventStore) -> None:
    for i in range(12):
        store.append(f"claim:{i % 4}", [statement(i)])

    result = verify(store, page_size=5)

    assert (result.ok, result.checked, result.first_bad_position) == (True, 12, None)


def test_verify_finds_an_event_changed_behind_the_triggers_back(store: SqlEventStore) -> None:
    for i in range(6):
        store.append("claim:a", [statement(i)])

    overwrite_event_data(store.engine, 4, {"n": 4, "quote": "Es gab keine Gespräche"})
    result = verify(store, page_size=2)

    assert result.first_bad_position == 4
    assert result.checked == 4
    assert "hash" in (result.reason or "")


def test_concurrent_writers_on_one_stream_lose_and_duplicate_nothing(settings: Settings) -> None:
    """Writers from separate engines race with expected versions, retrying on conflict."""
    stores = [open_store(settings) for _ in range(4)]
    acknowledged: list[uuid.UUID] = []
    conflicts = [0]
    guard = threading.Lock()

    def writer(store: SqlEventStore, n: int) -> None:
        for i in range(10):
            event = statement(n * 100 + i)
            while True:
                version = store.stream_version("claim:race") or 0
                try:
                    store.append("claim:race", [event], expected_version=version)
                    break
                except ConcurrencyError:
                    with guard:
                        conflicts[0] += 1
            with guard:
                acknowledged.append(event.event_id)

    threads = [threading.Thread(target=writer, args=(stores[n % 4], n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    log = list(stores[0].read_all())
    assert sorted(e.event_id for e in log) == sorted(acknowledged)
    assert [e.version for e in log] == list(range(1, 81))
    assert [e.position for e in log] == list(range(1, 81))
    assert conflicts[0] > 0, "the writers never raced"
    assert verify(stores[0]).ok
    for store in stores:
        store.close()


def test_concurrent_writers_on_many_streams_while_a_reader_follows(settings: Settings) -> None:
    stores = [open_store(settings) for _ in range(4)]
    reader = open_store(settings)
    done = threading.Event()
    seen: list[int] = []

    def follow() -> None:
        after = 0
        while not done.is_set() or after < reader.head_position():
            for recorded in reader.read_page(after=after, limit=7):
                seen.append(recorded.position)
                after = recorded.position

    def writer(store: SqlEventStore, n: int) -> None:
        for i in range(15):
            store.append(f"claim:{n}", [statement(i), statement(i + 1000)], expected_version=ANY)

    follower = threading.Thread(target=follow)
    follower.start()
    threads = [threading.Thread(target=writer, args=(stores[n % 4], n)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    follower.join()

    log = list(reader.read_all())
    assert [e.position for e in log] == list(range(1, 241))
    assert seen == [e.position for e in log], "the follower skipped or repeated an event"
    for n in range(8):
        assert [e.version for e in reader.read_stream(f"claim:{n}")] == list(range(1, 31))
    assert verify(reader).ok
    for store in [*stores, reader]:
        store.close()


def test_concurrent_appends_share_commits_and_a_refused_one_undoes_only_itself(
    store: SqlEventStore,
) -> None:
    commits = [0]
    event.listen(store.engine, "commit", lambda _connection: commits.__setitem__(0, commits[0] + 1))
    start = threading.Barrier(16)
    refused: list[int] = []

    def writer(n: int) -> None:
        start.wait()
        for i in range(20):
            stale = n % 4 == 0 and i == 10
            try:
                store.append(f"claim:{n}", [statement(i)], expected_version=i + 5 if stale else i)
            except ConcurrencyError:
                refused.append(n)
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    appended = 12 * 20 + 4 * 10
    assert sorted(refused) == [0, 4, 8, 12]
    assert store.head_position() == appended
    for n in range(16):
        assert [e.version for e in store.read_stream(f"claim:{n}")] == list(
            range(1, 21 if n % 4 else 11)
        )
    assert commits[0] < appended, "every append paid for a commit of its own"
    assert verify(store).ok


def test_a_full_database_refuses_appends_as_unavailable_and_keeps_what_it_had(
    store: SqlEventStore,
) -> None:
    """The hot path speaks to the driver directly: its errors must be translated too."""
    only_on("sqlite", store, "max_page_count is SQLite's").append("claim:a", [statement(1)])
    with store.write_transaction() as connection:  # the writer's own connection: none other
        connection.connection.driver_connection.execute("PRAGMA max_page_count = 1")
    big = NewEvent(type="StatementRecorded", data={"quote": "x" * 200_000})

    with pytest.raises(StorageUnavailable):
        store.append("claim:a", [big])

    assert [e.version for e in store.read_stream("claim:a")] == [1]
    store.append("claim:a", [statement(2)])  # a fresh writer connection, limit gone
    assert store.head_position() == 2


def test_the_first_append_after_the_database_dropped_the_session_succeeds(
    store: SqlEventStore,
) -> None:
    """The kept writer connection is found dead before any work: one retry, nothing lost."""
    only_on("postgresql", store, "PostgreSQL sessions").append("claim:a", [statement(1)])
    with store.write_transaction() as connection:
        writer_pid = connection.connection.driver_connection.info.backend_pid
    with store.engine.begin() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": writer_pid})

    store.append("claim:a", [statement(2)])

    assert [e.version for e in store.read_stream("claim:a")] == [1, 2]
    assert verify(store).ok


def test_sixteen_concurrent_readers_reuse_pooled_connections(store: SqlEventStore) -> None:
    """A server reads on up to 16 threads at once (its connections under load): the pool keeps
    that many, so rounds of concurrent reads open no connection after the first."""
    store.append("s", [NewEvent("Noted", {"n": 1})])
    opened: list[object] = []

    def count(*_: object) -> None:
        opened.append(1)

    event.listen(store.engine, "connect", count)
    barrier = threading.Barrier(16)
    failed: list[BaseException] = []

    def read() -> None:
        try:
            with store.read_connection() as connection:
                barrier.wait(timeout=10)  # all 16 hold a connection at once
                connection.execute(text("SELECT 1")).all()
        except BaseException as error:  # noqa: BLE001 - the test's to report
            failed.append(error)

    try:
        rounds = []
        for _ in range(3):
            readers = [threading.Thread(target=read) for _ in range(16)]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            rounds.append(len(opened))
        assert failed == []
        assert rounds[0] == rounds[1] == rounds[2]  # the later rounds reused them all
    finally:
        event.remove(store.engine, "connect", count)
