"""The story between two instants, deterministic to the byte."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import KEY, QueriesDep, ReadAccess, instant_query
from api.problems import responses
from ledger.projections.views import Replay
from ledger.projections.replay import Axis, parse_instant, to_json_text

router = APIRouter(prefix="/v1/replay", tags=["replay"], dependencies=[ReadAccess])


def _bound(alias: str, example: str, date_means: str, extent_end: str) -> Any:
    return instant_query(
        f"{date_means} or an ISO 8601 instant. Required unless `story` is given: then the "
        f"story's {extent_end} instant on the axis.",
        example,
        alias=alias,
    )


@router.get("", response_model=None, responses={200: {"model": Replay}, **responses(400, 404, 422)})
def replay(
    queries: QueriesDep,
    start: Annotated[
        str | None, _bound("from", "2024-10-24", "Start: a date (its start)", "first")
    ] = None,
    end: Annotated[
        str | None, _bound("to", "2024-10-26", "End: a date (the whole day)", "last")
    ] = None,
    axis: Annotated[
        Axis, Query(description="said: when it was said; recorded: when recorded.")
    ] = Axis.SAID,
    claim: Annotated[str | None, Query(pattern=KEY, description="Only this claim's steps.")] = None,
    story: Annotated[
        str | None, Query(pattern=KEY, description="Only the steps of this story's claims.")
    ] = None,
) -> Response:
    """Every step between from and to on one time axis, with the claim state before and after;
    with a story, from and to default to the story's extent on that axis."""
    timeline = queries.replay(
        start=None if start is None else parse_instant(start, field="from"),
        end=None if end is None else parse_instant(end, field="to", end_of_day=True),
        axis=axis,
        claim=claim,
        story=story,
    )
    return Response(to_json_text(timeline), media_type="application/json")
