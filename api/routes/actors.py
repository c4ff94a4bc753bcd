"""Actors: who makes or relays statements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from api.deps import KEY, PageDep, QueriesDep, ReadAccess, link_next
from api.problems import responses
from api.responses import trusted_json
from api.views import ActorList, ActorView

router = APIRouter(prefix="/v1/actors", tags=["actors"], dependencies=[ReadAccess])


@router.get("", response_model=ActorList, responses=responses(400, 422))
def list_actors(
    request: Request, response: Response, queries: QueriesDep, page: PageDep
) -> Response:
    """A page of registered actors by key, with how many statements each made."""
    found = queries.actors(page)
    next_cursor = link_next(request, response, found)
    return trusted_json({"actors": found.items, "next": next_cursor}, response)


@router.get("/{key}", response_model=ActorView, responses=responses(400, 404, 422))
def read_actor(
    key: Annotated[str, Path(pattern=KEY, examples=["peskov"])],
    queries: QueriesDep,
    response: Response,
) -> Response:
    """An actor and everything it said, about which claims."""
    return trusted_json(queries.actor(key), response)
