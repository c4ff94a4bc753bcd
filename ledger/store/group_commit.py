"""Group commit: concurrent writers share one durable commit instead of queueing for one each.

The first writer to arrive becomes the leader: it takes every write queued so far, runs them in
one transaction (each in its own savepoint, so one refused write does not undo the others),
commits once, and hands each writer its own result or error. Writers that arrive meanwhile
queue for the next batch. No caller is answered before the commit that holds its write is
durable. With one writer at a time this is a plain transaction per write.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from ledger.errors import LedgerError

T = TypeVar("T")
Work = Callable[[Connection], T]
MAX_BATCH = 256


@dataclass(eq=False)
class _Write(Generic[T]):
    work: Work[T]
    done: bool = False
    result: Any = None
    error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[no-any-return]


class GroupCommitter:
    """Runs writes in shared transactions opened by ``transaction``.

    Leadership passes on after every batch, so no writer's thread commits others' work for long.
    """

    def __init__(self, transaction: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._transaction = transaction
        self._turn = threading.Condition()
        self._queue: list[_Write[Any]] = []
        self._leading = False

    def run(self, work: Work[T]) -> T:
        """Run ``work`` in a transaction, possibly shared; return once it is committed."""
        write: _Write[T] = _Write(work)
        with self._turn:
            self._queue.append(write)
        while not self._lead_or_wait(write):
            pass
        return write.outcome()

    def _lead_or_wait(self, write: _Write[Any]) -> bool:
        """Wait for a turn; lead one batch if it comes. True once ``write`` is done."""
        with self._turn:
            while not write.done and self._leading:
                self._turn.wait()
            if write.done:
                return True
            self._leading = True
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            self._commit(batch)
        finally:
            with self._turn:
                for queued in batch:
                    queued.done = True
                self._leading = False
                self._turn.notify_all()
        return write.done

    def _commit(self, batch: list[_Write[Any]]) -> None:
        try:
            with self._transaction() as connection:
                if len(batch) == 1:
                    _run_alone(batch[0], connection)
                else:
                    for write in batch:
                        _run_in_savepoint(write, connection)
        except BaseException as error:  # the commit failed: nothing in the batch is durable
            for write in batch:
                if write.error is None:
                    write.result, write.error = None, error


def _run_alone(write: _Write[Any], connection: Connection) -> None:
    try:
        write.result = write.work(connection)
    except BaseException as error:
        write.error = error
        raise


def _run_in_savepoint(write: _Write[Any], connection: Connection) -> None:
    savepoint = connection.begin_nested()
    try:
        write.result = write.work(connection)
    except LedgerError as error:  # refused input: undo this write only
        savepoint.rollback()
        write.error = error
        return
    except BaseException as error:
        savepoint.rollback()
        write.error = error
        raise
    savepoint.commit()
