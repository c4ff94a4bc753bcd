"""The global log: paged in position order, or followed live as Server-Sent Events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from sse_starlette import EventSourceResponse

from api.conditional import mark_pinned
from api.deps import ApiSettingsDep, QueriesDep, ReadAccess
from api.feed import follow
from api.problems import responses
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
        **responses(422),
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
) -> EventSourceResponse:
    """Follow the log live; resumes after Last-Event-ID (or ?after=)."""
    start = resume_position(last_event_id, after)
    state = request.app.state
    events = follow(
        queries,
        after=start,
        limit=limit,
        poll_seconds=settings.feed_poll_seconds,
        waker=state.log_waker,
        on_connect=state.metrics.feed_clients.inc,
    )
    return EventSourceResponse(events, ping=settings.feed_ping_seconds)


def resume_position(last_event_id: str | None, after: int | None) -> int:
    """A reconnecting client's Last-Event-ID wins over the ``after`` in the URL it reuses."""
    if last_event_id is None or not last_event_id.strip():
        return after or 0
    text = last_event_id.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_POSITION:
        raise InvalidEvent("Last-Event-ID", "the position of the last event received")
    return int(text)
