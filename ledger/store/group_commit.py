"""Group commit: concurrent writers share one durable commit instead of queueing for one each.

The first writer to arrive leads: it takes every write queued so far, runs them in one
transaction (each in its own savepoint, so one refused write does not undo the others), commits
once, and hands each writer its own result or error. Writers that arrive meanwhile queue for the
next batch, which the first of them leads. No caller is answered before the commit that holds
its write is durable; with one writer at a time this is a plain transaction per write.

A leader gathers before it takes its batch: when fewer writes are queued than its last batch
held, it waits up to ``GATHER_SECONDS`` for that many. Without it, concurrent writers fall into
a convoy: the writers of a batch of 16 are answered together, the first of them back leads a
batch of one (a whole commit for one write) while the other 15 queue behind it, and half the
commits hold a single write. A lone writer never waits (its last batch held one).

A write may ask for its batch to be sealed: after the batch's writes and before its commit, the
leader runs ``seal`` once on the same transaction (the transparency log signs the tree's new
head there), so a batch of any size costs one seal and still one commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from ledger.errors import LedgerError
from ledger.store.backend import dbapi

T = TypeVar("T")
Work = Callable[[Connection], T]
OnDurable = Callable[[], None]
Seal = Callable[[Connection], OnDurable | None]
MAX_BATCH = 256
GATHER_SECONDS = 0.0005
SAVEPOINT = "ledger_write"


class _Write(Generic[T]):
    """One caller's write: its work, then its outcome, and the event it waits on."""

    __slots__ = ("work", "seals", "result", "error", "done", "leads", "wake")

    def __init__(self, work: Work[T], seals: bool) -> None:
        self.work = work
        self.seals = seals
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.leads = False
        self.wake = threading.Event()

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[no-any-return]


class GroupCommitter:
    """Runs writes in shared transactions opened by ``transaction``."""

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Connection]],
        after_commit: Callable[[int], None] | None = None,
        seal: Seal | None = None,
    ) -> None:
        self._transaction = transaction
        self._after_commit = after_commit
        self._seal = seal
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._queue: list[_Write[Any]] = []
        self._leading = False
        self._last_batch = 1

    def run(self, work: Work[T], *, seal: bool = False) -> T:
        """Run ``work`` in a transaction, possibly shared; return once it is committed.

        ``seal``: the transaction is sealed before its commit if this write succeeds in it.
        """
        write: _Write[T] = _Write(work, seal)
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

    def _commit(self, batch: list[_Write[Any]]) -> None:
        on_durable: OnDurable | None = None
        try:
            with self._transaction() as connection:
                if len(batch) == 1:
                    _run_alone(batch[0], connection)
                else:
                    for write in batch:
                        _run_in_savepoint(write, connection)
                if self._seal is not None and any(w.seals and w.error is None for w in batch):
                    on_durable = self._seal(connection)
        except BaseException as error:  # the transaction failed: nothing in it is durable
            for write in batch:
                if not isinstance(write.error, LedgerError) or write.error is error:
                    write.result, write.error = None, error
            return
        if on_durable is not None:
            on_durable()
        if self._after_commit is not None:
            self._after_commit(len(batch))


def _run_alone(write: _Write[Any], connection: Connection) -> None:
    """Its error ends the transaction; ``_commit`` hands it (translated) to the writer."""
    write.result = write.work(connection)


def _run_in_savepoint(write: _Write[Any], connection: Connection) -> None:
    """Run one write of a batch so that its refusal undoes its own statements only.

    Plain SAVEPOINT statements through the driver: SQLAlchemy's nested transactions cost more
    than the write itself. A savepoint is never released: each write opens a new one of the
    same name inside the last (ROLLBACK TO names the newest), and the commit ends them all. That
    saves a round trip per write of a batch, where RELEASE would cost one.
    """
    driver = dbapi(connection)
    driver.execute(f"SAVEPOINT {SAVEPOINT}")
    try:
        write.result = write.work(connection)
    except LedgerError as error:
        driver.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        write.error = error
