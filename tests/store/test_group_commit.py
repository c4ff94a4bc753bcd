"""The group committer's gathering: concurrent writers fill a batch, a lone writer never waits."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Connection, create_engine, text

from ledger.store import group_commit
from ledger.store.group_commit import GroupCommitter, each_in_one_transaction

LONG_GATHER = 30.0


@pytest.fixture
def committed() -> list[int]:
    """The size of every batch committed, in order."""
    return []


@pytest.fixture
def committer(committed: list[int], monkeypatch: pytest.MonkeyPatch) -> GroupCommitter:
    monkeypatch.setattr(group_commit, "GATHER_SECONDS", LONG_GATHER)
    engine = create_engine("sqlite://")
    return GroupCommitter(each_in_one_transaction(engine.begin, committed.append))


def _noop(connection: Connection) -> int:
    return int(connection.execute(text("select 1")).scalar_one())


def _start(committer: GroupCommitter, work=_noop) -> threading.Thread:  # type: ignore[no-untyped-def]
    thread = threading.Thread(target=committer.run, args=(work,))
    thread.start()
    return thread


def _queued(committer: GroupCommitter, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(committer._queue) < count:
        assert time.monotonic() < deadline, f"{count} writes never queued"
        time.sleep(0.001)


def test_a_leader_waits_for_as_many_writes_as_its_last_batch_held(
    committer: GroupCommitter, committed: list[int]
) -> None:
    writing, release = threading.Event(), threading.Event()

    def slow(connection: Connection) -> bool:
        writing.set()
        return release.wait(5)

    first = _start(committer, slow)
    assert writing.wait(5)
    # Two more queue while the first write's batch (of one) is still being written.
    behind = [_start(committer), _start(committer)]
    _queued(committer, 2)
    release.set()
    for thread in [first, *behind]:
        thread.join(5)
    assert committed == [1, 2]

    # The last batch held two: a write arriving alone waits for a second instead of committing
    # by itself, and the two share one commit.
    alone = _start(committer)
    time.sleep(0.1)
    assert committed == [1, 2], "a write committed alone although its leader should gather"
    second = _start(committer)
    for thread in (alone, second):
        thread.join(5)
        assert not thread.is_alive()
    assert committed == [1, 2, 2]


def test_a_lone_writer_never_waits_to_gather(
    committer: GroupCommitter, committed: list[int]
) -> None:
    writer = threading.Thread(target=lambda: [committer.run(_noop) for _ in range(5)])
    writer.start()
    writer.join(LONG_GATHER / 2)
    assert not writer.is_alive(), "sequential writes waited for writers that never came"
    assert committed == [1, 1, 1, 1, 1]
