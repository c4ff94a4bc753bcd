"""The global log as a live Server-Sent Events stream: poll the store in a thread, send new events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import anyio
from sse_starlette import ServerSentEvent

from ledger.store import RecordedEvent, SqlEventStore

PAGE = 200


async def follow(
    store: SqlEventStore, *, after: int, limit: int | None, poll_seconds: float
) -> AsyncIterator[ServerSentEvent]:
    """Every event after ``after`` in position order, then new ones as they come; ``id`` = position."""
    sent = 0
    while limit is None or sent < limit:
        size = PAGE if limit is None else min(PAGE, limit - sent)
        page = await anyio.to_thread.run_sync(_reader(store, after, size))
        for event in page:
            yield as_sse(event)
        sent += len(page)
        after = page[-1].position if page else after
        if len(page) < size:
            await anyio.sleep(poll_seconds)


def _reader(store: SqlEventStore, after: int, size: int):  # type: ignore[no-untyped-def]
    return lambda: store.read_page(after=after, limit=size)


def as_sse(event: RecordedEvent) -> ServerSentEvent:
    data = json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":"))
    return ServerSentEvent(data=data, id=str(event.position))
