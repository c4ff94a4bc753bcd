"""Actors: who makes or relays statements."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ActorKey, PagingDep, QueriesDep, ReadAccess
from api.problems import responses
from api.responses import trusted_json
from api.views import ActorList, ActorView

router = APIRouter(prefix="/v1/actors", tags=["actors"], dependencies=[ReadAccess])


@router.get("", response_model=ActorList, responses=responses(400, 422))
def list_actors(queries: QueriesDep, paging: PagingDep) -> Response:
    """A page of registered actors by key, with how many statements each made."""
    return paging.answer("actors", queries.actors(paging.page))


@router.get("/{key}", response_model=ActorView, responses=responses(400, 404, 422))
def read_actor(key: ActorKey, queries: QueriesDep, response: Response) -> Response:
    """An actor and everything it said, about which claims."""
    return trusted_json(queries.actor(key), response)
