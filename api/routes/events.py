"""The global log: paged in position order, or followed live as Server-Sent Events."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from sse_starlette import EventSourceResponse

from api.conditional import mark_pinned
from api.deps import ApiSettingsDep, QueriesDep, ReadAccess
from api.feed import HeldFeed, follow
from api.problems import problem, responses
from api.ratelimit import client_key
from api.responses import trusted_json
from api.views import EventPage
from ledger.errors import InvalidEvent

router = APIRouter(prefix="/v1/events", tags=["events"], dependencies=[ReadAccess])

After = Annotated[int, Query(ge=0, le=2**53, description="Read events after this position.")]
MAX_POSITION = 2**53


@router.get("", response_model=EventPage, responses=responses(422))
def read_events(
    request: Request,
    response: Response,
    queries: QueriesDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """A page of the global log in position order, with a cursor and a Link to the next page."""
    events = queries.events(after=after, limit=limit + 1)
    page, has_more = events[:limit], len(events) > limit
    cursor = page[-1].position if page else after
    if len(page) == limit:
        mark_pinned(request, cursor)  # a full page of an append-only log never changes
    if has_more:
        next_url = request.url.include_query_params(after=cursor, limit=limit)
        response.headers["Link"] = f'<{next_url.path}?{next_url.query}>; rel="next"'
    envelopes = [e.to_json() for e in page]
    body = {"events": envelopes, "after": after, "next": cursor, "has_more": has_more}
    return trusted_json(body, response)


@router.get(
    "/stream",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "text/event-stream: `id:` is the position, `data:` the envelope JSON",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **responses(422, 429),
    },
)
def stream_events(
    request: Request,
    queries: QueriesDep,
    settings: ApiSettingsDep,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_POSITION, description="Start after this position.")
    ] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="Close after this many events.")
    ] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> Response:
    """Follow the log live; resumes after Last-Event-ID (or ?after=). A client (its token, else
    its address) holds at most LEDGER_FEED_MAX_PER_CLIENT feeds at once: beyond, 429."""
    start = resume_position(last_event_id, after)
    state = request.app.state
    client = client_key(request.scope, settings.tokens)
    if not state.feed_slots.take(client):
        detail = f"this client holds {state.feed_slots.limit} live feeds already: close one first"
        headers = {"Retry-After": "5"}
        return problem(429, "too-many-feeds", detail, title="Too many live feeds", headers=headers)
    events = follow(
        queries,
        after=start,
        limit=limit,
        poll_seconds=settings.feed_poll_seconds,
        waker=state.log_waker,
        on_connect=state.metrics.feed_clients.inc,
    )
    release = partial(state.feed_slots.give_back, client)
    return HeldFeed(events, ping=settings.feed_ping_seconds, release=release)


def resume_position(last_event_id: str | None, after: int | None) -> int:
    """A reconnecting client's Last-Event-ID wins over the ``after`` in the URL it reuses."""
    if last_event_id is None or not last_event_id.strip():
        return after or 0
    text = last_event_id.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_POSITION:
        raise InvalidEvent("Last-Event-ID", "the position of the last event received")
    return int(text)
