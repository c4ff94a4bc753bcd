"""The global log as a live Server-Sent Events stream, woken the moment the log grows.

A client reads a page after its cursor; when it has caught up it waits on its own wake-up,
set by ``LogWaker`` when this process commits a write (the store's commit listener) or when
PostgreSQL's ``NOTIFY`` says another process did. Polling every ``poll_seconds`` stays only as
the fallback, for writers the ledger cannot hear (another process on SQLite). The wake-up is
cleared before each read, so a commit between the read and the wait is never missed.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from ledger.service import LedgerQueries
from ledger.store import RecordedEvent

PAGE = 200


class LogWaker:
    """Wakes every waiting feed client; ``wake`` may be called from any thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: set[asyncio.Event] = set()
        self._lock = threading.Lock()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._waiting.add(event)
        return event

    def unsubscribe(self, event: asyncio.Event) -> None:
        with self._lock:
            self._waiting.discard(event)

    def wake(self, *_: object) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._wake_all)
        except RuntimeError:  # the loop closed meanwhile: nobody is waiting
            pass

    def _wake_all(self) -> None:
        with self._lock:
            waiting = list(self._waiting)
        for event in waiting:
            event.set()


class FeedSlots:
    """How many live feeds each client holds, at most ``limit`` each (LEDGER_FEED_MAX_PER_CLIENT).

    A feed holds a connection, a task and a database read per page for as long as the client
    likes: one client opening 64 of them took what 64 clients should have had."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, client: str) -> bool:
        """Take a place for ``client``; False when it holds ``limit`` already."""
        with self._lock:
            if self._held[client] >= self.limit:
                return False
            self._held[client] += 1
            return True

    def give_back(self, client: str) -> None:
        with self._lock:
            self._held[client] -= 1
            if self._held[client] <= 0:
                del self._held[client]


class HeldFeed(EventSourceResponse):
    """A live feed that gives its client's place back when it ends, however it ends."""

    def __init__(self, *args: Any, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


async def follow(
    queries: LedgerQueries,
    *,
    after: int,
    limit: int | None,
    poll_seconds: float,
    waker: LogWaker,
    on_connect: Callable[[int], None] = lambda _: None,
) -> AsyncIterator[ServerSentEvent]:
    """Every event after ``after`` in position order, then new ones as they come; ``id`` = position.

    ``on_connect`` is told +1 when the client starts and -1 when it goes (the clients gauge).
    """
    wake = waker.subscribe()
    on_connect(1)
    try:
        sent = 0
        while limit is None or sent < limit:
            size = PAGE if limit is None else min(PAGE, limit - sent)
            wake.clear()
            page = await anyio.to_thread.run_sync(_reader(queries, after, size))
            for event in page:
                yield as_sse(event)
            sent += len(page)
            after = page[-1].position if page else after
            if len(page) < size:
                with anyio.move_on_after(poll_seconds):
                    await wake.wait()
    finally:
        waker.unsubscribe(wake)
        on_connect(-1)


def _reader(queries: LedgerQueries, after: int, size: int) -> Callable[[], list[RecordedEvent]]:
    return lambda: queries.events(after=after, limit=size)


def as_sse(event: RecordedEvent) -> ServerSentEvent:
    return ServerSentEvent(data=event.json_text(), id=str(event.position))
