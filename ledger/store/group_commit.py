"""Group commit: concurrent writers share one durable commit instead of queueing for one each.

The first writer to arrive leads: it takes every write queued so far, hands them to ``commit``
as one batch (the append pipeline writes them in one transaction and answers each writer), and
wakes its writers. Writers that arrive meanwhile queue for the next batch, which the first of
them leads. No caller is answered before the commit that holds its write is durable; with one
writer at a time this is a plain transaction per write.

A leader gathers before it takes its batch: when fewer writes are queued than its last batch
held, it waits up to ``GATHER_SECONDS`` for that many. Without it, concurrent writers fall into
a convoy: the writers of a batch of 16 are answered together, the first of them back leads a
batch of one (a whole commit for one write) while the other 15 queue behind it, and half the
commits hold a single write. A lone writer never waits (its last batch held one).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")
MAX_BATCH = 256
GATHER_SECONDS = 0.0005


class Write(Generic[T]):
    """One caller's write: what it asks (``item``), then its outcome, and the event it waits on.

    ``seals``: the caller wants the batch's commit to sign a checkpoint covering its write.
    """

    __slots__ = ("item", "seals", "result", "error", "done", "leads", "wake")

    def __init__(self, item: Any, seals: bool) -> None:
        self.item = item
        self.seals = seals
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.leads = False
        self.wake = threading.Event()

    def answer(self, result: Any) -> None:
        self.result, self.error = result, None

    def refuse(self, error: BaseException) -> None:
        self.result, self.error = None, error

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[no-any-return]


CommitBatch = Callable[[Sequence[Write[Any]]], None]


class GroupCommitter:
    """Gathers concurrent writes into batches and has ``commit`` write each batch at once."""

    def __init__(self, commit: CommitBatch) -> None:
        self._commit = commit
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queue: list[Write[Any]] = []
        self._leading = False
        self._last_batch = 1

    def run(self, item: Any, *, seal: bool = False) -> Any:
        """Have ``item`` written in a batch, possibly shared; return its answer once durable."""
        write: Write[Any] = Write(item, seal)
        with self._lock:
            self._queue.append(write)
            if not self._leading:
                self._leading = write.leads = True
            elif len(self._queue) >= self._last_batch:
                self._arrived.notify()
        if not write.leads:
            write.wake.wait()
        if not write.done:
            self._lead()
        return write.outcome()

    def _lead(self) -> None:
        """Commit the queue's head batch, answer its writers, and pass the lead on."""
        with self._lock:
            self._gather()
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._last_batch = len(batch)
        try:
            self._commit(batch)
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
                for write in batch:
                    write.done = True
                if successor is not None:
                    successor.leads = True
            for write in batch:
                write.wake.set()
            if successor is not None:
                successor.wake.set()

    def _gather(self) -> None:
        """Wait (the lock held, released while waiting) for as many writes as the last batch
        held, or ``GATHER_SECONDS``, whichever comes first."""
        expected = self._last_batch  # never over MAX_BATCH: a batch is cut to it
        if len(self._queue) < expected:
            self._arrived.wait_for(lambda: len(self._queue) >= expected, GATHER_SECONDS)


def each_in_one_transaction(
    transaction: Callable[[], AbstractContextManager[Connection]],
    after_commit: Callable[[int], None],
) -> CommitBatch:
    """A ``commit`` running each write's item, a function of the connection, in one shared
    transaction (the plainest batch; the append pipeline's is ``AppendPipeline.commit``)."""

    def commit(batch: Sequence[Write[Any]]) -> None:
        try:
            with transaction() as connection:
                for write in batch:
                    write.answer(write.item(connection))
        except BaseException as error:  # noqa: BLE001 - handed to every writer of the batch
            for write in batch:
                write.refuse(error)
            return
        after_commit(len(batch))

    return commit
